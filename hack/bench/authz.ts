/**
 * Authorization benchmark: how long one Cedar decision takes with the shipped policies, as the
 * API server makes it (entities built per request, policy set and schema preparsed once), over a
 * mix of identities, verbs and kinds; then the whole per-request check of an item request,
 * including the ownership lookups in a real SQLite store (an Approval: the approval, then its run).
 * Target (DOMAIN.md / seed): decision p99 < 1 ms.
 *
 * Usage: npm run bench:authz [-- --decisions N]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CedarAuthorizer, type ResourceRequest } from '../../api/auth/authorizer.js';
import { AuthzModel, CREATED_BY, Verb } from '../../api/auth/model.js';
import { Role, type Identity } from '../../api/auth/roles.js';
import { TokenStore } from '../../api/auth/token-store.js';
import { RequestAuthorizer } from '../../api/server/authorization.js';
import { openStore } from '../../api/store/open-store.js';
import { schemeResolver } from '../../api/store/scheme-resolver.js';
import { scheme } from '../../resources/index.js';
import { percentile } from './http.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

function summary(label: string, samplesUs: number[], target?: string): void {
  const sorted = samplesUs.sort((a, b) => a - b);
  const f = (p: number): string => percentile(sorted, p).toFixed(1);
  console.log(`${label.padEnd(58)} p50 ${f(50).padStart(6)} µs   p99 ${f(99).padStart(6)} µs   max ${sorted[sorted.length - 1]!.toFixed(0).padStart(5)} µs${target ? `   (${target})` : ''}`);
}

function time(fn: () => unknown): number {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e3;
}

async function main(): Promise<void> {
  const decisions = arg('--decisions', 100_000);
  const model = new AuthzModel(scheme);
  const loadStart = process.hrtime.bigint();
  const authz = await CedarAuthorizer.load(model, undefined);
  console.log(`policies loaded, validated and preparsed in ${(Number(process.hrtime.bigint() - loadStart) / 1e6).toFixed(1)} ms`);

  const type = (plural: string, group = 'sidekicks.dev') => model.resourceType(group, plural)!;
  const who: Identity[] = [
    { name: 'alice', role: Role.Owner },
    { name: 'carol', role: Role.Collaborator },
    { name: 'bob', role: Role.Viewer },
    { name: 'node-1', role: Role.RuntimeContributor },
  ];
  const shapes: Omit<ResourceRequest, 'user'>[] = [
    { verb: Verb.Get, resource: type('runs'), namespace: 'default', name: 'fix-login', subresource: '', owner: 'carol' },
    { verb: Verb.List, resource: type('approvals'), namespace: 'default', name: '', subresource: '' },
    { verb: Verb.Watch, resource: type('runs'), namespace: '', name: '', subresource: '' },
    { verb: Verb.Patch, resource: type('runs'), namespace: 'default', name: 'fix-login', subresource: '', owner: 'carol' },
    { verb: Verb.Patch, resource: type('approvals'), namespace: 'default', name: 'fix-login-tool-4', subresource: '', runOwner: 'carol' },
    { verb: Verb.Patch, resource: type('runs'), namespace: 'default', name: 'fix-login', subresource: 'status', owner: 'carol' },
    { verb: Verb.Create, resource: type('interventions'), namespace: 'default', name: '', subresource: '', owner: 'carol', runOwner: 'alice' },
    { verb: Verb.Get, resource: type('sessions'), namespace: 'default', name: 's1', subresource: 'timeline' },
    { verb: Verb.Delete, resource: type('agents'), namespace: 'default', name: 'a1', subresource: '' },
    { verb: Verb.Create, resource: type('tokens', 'auth.sidekicks.dev'), namespace: '', name: '', subresource: '' },
  ];
  const requests: ResourceRequest[] = [];
  for (const user of who) for (const shape of shapes) requests.push({ user, ...shape });

  // Warm-up: JIT, wasm tiers, caches.
  for (let i = 0; i < 5_000; i++) authz.authorize(requests[i % requests.length]!);

  const mixed: number[] = new Array(decisions);
  let allowed = 0;
  for (let i = 0; i < decisions; i++) {
    const req = requests[i % requests.length]!;
    mixed[i] = time(() => {
      if (authz.authorize(req).allowed) allowed++;
    });
  }
  console.log(`${decisions} decisions over ${requests.length} request shapes (4 roles × ${shapes.length}), ${((allowed / decisions) * 100).toFixed(0)}% allowed:`);
  summary('  Cedar decision (entities built, preparsed policies)', mixed, 'target p99 < 1000 µs');

  const single = requests.find((r) => r.user.role === Role.Collaborator && r.resource.plural === 'approvals' && r.verb === Verb.Patch)!;
  const one: number[] = new Array(decisions);
  for (let i = 0; i < decisions; i++) one[i] = time(() => authz.authorize(single));
  summary('  one shape repeated (Collaborator decides an approval)', one);

  // The whole check of an item request, with the ownership lookups in a SQLite store.
  const dir = mkdtempSync(join(tmpdir(), 'sidekick-bench-authz-'));
  try {
    const store = await openStore({ kind: 'sqlite', path: join(dir, 'bench.db') }, schemeResolver(scheme));
    await store.create('runs', {
      apiVersion: 'sidekicks.dev/v1alpha1',
      kind: 'Run',
      metadata: { name: 'fix-login', namespace: 'default', annotations: { [CREATED_BY]: 'carol' } },
      spec: { session: 's1', agent: 'a1', prompt: 'p' },
    });
    await store.create('approvals', {
      apiVersion: 'sidekicks.dev/v1alpha1',
      kind: 'Approval',
      metadata: { name: 'fix-login-tool-4', namespace: 'default' },
      spec: { session: 's1', run: 'fix-login', category: 'NetworkAccess', onExpiry: 'Reject' },
    });
    const tokens = await TokenStore.open(join(dir, 'tokens.json'));
    const server = new RequestAuthorizer({ authorizer: authz, store, tokens, owner: 'alice' });
    const attrs = { verb: Verb.Patch, resource: type('approvals'), namespace: 'default', name: 'fix-login-tool-4', subresource: '' };
    const carol = who[1]!;
    for (let i = 0; i < 2_000; i++) await server.decide(carol, attrs);
    const n = Math.min(decisions, 20_000);
    const full: number[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const t = process.hrtime.bigint();
      const d = await server.decide(carol, attrs);
      full[i] = Number(process.hrtime.bigint() - t) / 1e3;
      if (!d.allowed) throw new Error('expected carol to be allowed to decide the approval of her run');
    }
    console.log(`${n} request checks (patch approvals/fix-login-tool-4 as carol: 2 store lookups + 1 decision):`);
    summary('  ownership lookups (SQLite) + Cedar decision', full);
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
