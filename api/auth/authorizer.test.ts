/**
 * The shipped policies, decided by real Cedar: the role matrix as a table, then the loader's
 * fail-closed behaviour on broken, invalid and conflicting user policy files.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scheme } from '../../resources/index.js';
import { CedarAuthorizer } from './authorizer.js';
import { AuthzModel, type ResourceType, Verb } from './model.js';
import { PolicyError, readPolicySources } from './policies.js';
import { Role, type Identity } from './roles.js';

const model = new AuthzModel(scheme);
let authz: CedarAuthorizer;
let dir: string;

beforeAll(async () => {
  authz = await CedarAuthorizer.load(model, undefined);
  dir = await mkdtemp(join(tmpdir(), 'sidekick-policies-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function type(plural: string, group = 'sidekicks.dev'): ResourceType {
  const t = model.resourceType(group, plural);
  if (!t) throw new Error(`no resource type ${group}/${plural}`);
  return t;
}

const owner: Identity = { name: 'alice', role: Role.Owner };
const carol: Identity = { name: 'carol', role: Role.Collaborator };
const bob: Identity = { name: 'bob', role: Role.Viewer };
const node: Identity = { name: 'node-1', role: Role.RuntimeContributor };
const stranger: Identity = { name: 'mallory' };

interface Row {
  who: Identity;
  verb: Verb;
  plural: string;
  group?: string;
  sub?: string;
  owner?: string;
  runOwner?: string;
  allowed: boolean;
}

const ALL_VERBS = [Verb.Get, Verb.List, Verb.Watch, Verb.Create, Verb.Update, Verb.Patch, Verb.Delete, Verb.DeleteCollection];

// prettier-ignore
const matrix: Row[] = [
  // Owner: everything, including tokens.
  ...ALL_VERBS.map((verb) => ({ who: owner, verb, plural: 'runs', allowed: true })),
  ...ALL_VERBS.map((verb) => ({ who: owner, verb, plural: 'approvalpolicies', allowed: true })),
  { who: owner, verb: Verb.Create, plural: 'tokens', group: 'auth.sidekicks.dev', allowed: true },
  { who: owner, verb: Verb.Patch, plural: 'runs', sub: 'status', allowed: true },

  // Viewer: get, list, watch on every kind and read subresource; nothing else; no tokens.
  ...[Verb.Get, Verb.List, Verb.Watch].map((verb) => ({ who: bob, verb, plural: 'runs', allowed: true })),
  { who: bob, verb: Verb.Get, plural: 'sessions', sub: 'timeline', allowed: true },
  { who: bob, verb: Verb.Get, plural: 'artifacts', sub: 'content', allowed: true },
  { who: bob, verb: Verb.List, plural: 'events', group: '', allowed: true },
  ...[Verb.Create, Verb.Update, Verb.Patch, Verb.Delete, Verb.DeleteCollection].map((verb) => ({ who: bob, verb, plural: 'runs', owner: 'bob', allowed: false })),
  { who: bob, verb: Verb.Patch, plural: 'approvals', runOwner: 'bob', allowed: false },
  { who: bob, verb: Verb.List, plural: 'tokens', group: 'auth.sidekicks.dev', allowed: false },
  { who: bob, verb: Verb.Create, plural: 'selfsubjectaccessreviews', group: 'authorization.k8s.io', allowed: true },

  // Collaborator: reads everything; creates runs; changes and deletes only their own runs.
  { who: carol, verb: Verb.Watch, plural: 'approvals', allowed: true },
  { who: carol, verb: Verb.Create, plural: 'runs', owner: 'carol', allowed: true },
  { who: carol, verb: Verb.Patch, plural: 'runs', owner: 'carol', allowed: true },
  { who: carol, verb: Verb.Update, plural: 'runs', owner: 'carol', allowed: true },
  { who: carol, verb: Verb.Delete, plural: 'runs', owner: 'carol', allowed: true },
  { who: carol, verb: Verb.Patch, plural: 'runs', owner: 'alice', allowed: false },
  { who: carol, verb: Verb.Delete, plural: 'runs', owner: 'alice', allowed: false },
  { who: carol, verb: Verb.Patch, plural: 'runs', allowed: false },
  { who: carol, verb: Verb.Patch, plural: 'runs', sub: 'status', owner: 'carol', allowed: false },
  { who: carol, verb: Verb.DeleteCollection, plural: 'runs', allowed: false },
  // ... decides the approvals of their own runs, no one else's.
  { who: carol, verb: Verb.Patch, plural: 'approvals', runOwner: 'carol', allowed: true },
  { who: carol, verb: Verb.Update, plural: 'approvals', runOwner: 'carol', allowed: true },
  { who: carol, verb: Verb.Patch, plural: 'approvals', runOwner: 'alice', allowed: false },
  { who: carol, verb: Verb.Patch, plural: 'approvals', sub: 'status', runOwner: 'carol', allowed: false },
  { who: carol, verb: Verb.Delete, plural: 'approvals', runOwner: 'carol', allowed: false },
  { who: carol, verb: Verb.Create, plural: 'approvals', owner: 'carol', runOwner: 'carol', allowed: false },
  // ... steers and cancels their own runs.
  { who: carol, verb: Verb.Create, plural: 'interventions', owner: 'carol', runOwner: 'carol', allowed: true },
  { who: carol, verb: Verb.Create, plural: 'interventions', owner: 'carol', runOwner: 'alice', allowed: false },
  // ... and never changes policies, agents, sessions or tokens.
  { who: carol, verb: Verb.Create, plural: 'approvalpolicies', owner: 'carol', allowed: false },
  { who: carol, verb: Verb.Patch, plural: 'approvalpolicies', owner: 'carol', allowed: false },
  { who: carol, verb: Verb.Create, plural: 'agents', owner: 'carol', allowed: false },
  { who: carol, verb: Verb.Create, plural: 'tokens', group: 'auth.sidekicks.dev', allowed: false },
  { who: carol, verb: Verb.Get, plural: 'tokens', group: 'auth.sidekicks.dev', allowed: false },

  // RuntimeContributor: reads what runs need, reports status, registers its own node.
  { who: node, verb: Verb.Watch, plural: 'runs', allowed: true },
  { who: node, verb: Verb.Get, plural: 'agents', allowed: true },
  { who: node, verb: Verb.List, plural: 'sessions', allowed: true },
  { who: node, verb: Verb.Patch, plural: 'runs', sub: 'status', allowed: true },
  { who: node, verb: Verb.Update, plural: 'interventions', sub: 'status', allowed: true },
  { who: node, verb: Verb.Patch, plural: 'runs', owner: 'node-1', allowed: false },
  { who: node, verb: Verb.Create, plural: 'runtimenodes', owner: 'node-1', allowed: true },
  { who: node, verb: Verb.Patch, plural: 'runtimenodes', sub: 'status', owner: 'node-1', allowed: true },
  { who: node, verb: Verb.Patch, plural: 'runtimenodes', owner: 'node-2', allowed: false },
  { who: node, verb: Verb.Create, plural: 'events', owner: 'node-1', allowed: true },
  { who: node, verb: Verb.Patch, plural: 'approvals', runOwner: 'node-1', allowed: false },
  { who: node, verb: Verb.Get, plural: 'approvals', allowed: false },
  { who: node, verb: Verb.Get, plural: 'sessions', sub: 'timeline', allowed: false },

  // No role (a name nobody issued): nothing, not even reads.
  { who: stranger, verb: Verb.Get, plural: 'runs', allowed: false },
];

describe('the role matrix (shipped policies)', () => {
  test.each(matrix.map((r) => [`${r.who.role ?? 'no role'} ${r.allowed ? 'may' : 'may not'} ${r.verb} ${r.plural}${r.sub ? `/${r.sub}` : ''}${r.owner ? ` owned by ${r.owner}` : ''}${r.runOwner ? ` of a run of ${r.runOwner}` : ''}`, r] as const))('%s', (_name, r) => {
    const d = authz.authorize({
      user: r.who,
      verb: r.verb,
      resource: type(r.plural, r.group),
      namespace: type(r.plural, r.group).namespaced ? 'default' : '',
      name: ([Verb.List, Verb.Watch, Verb.DeleteCollection, Verb.Create] as Verb[]).includes(r.verb) ? '' : 'x',
      subresource: r.sub ?? '',
      owner: r.owner,
      runOwner: r.runOwner,
    });
    expect(d.error).toBeUndefined();
    expect(d.allowed).toBe(r.allowed);
  });

  test('an allow names the policy that allowed it', () => {
    const d = authz.authorize({ user: carol, verb: Verb.Patch, resource: type('approvals'), namespace: 'default', name: 'x', subresource: '', runOwner: 'carol' });
    expect(d).toEqual({ allowed: true, denied: false, policies: ['collaborator-decide'] });
  });

  test('only the Owner may impersonate (auth can-i --as)', () => {
    expect(authz.mayImpersonate(owner, bob).allowed).toBe(true);
    expect(authz.mayImpersonate(carol, bob).allowed).toBe(false);
    expect(authz.mayImpersonate(bob, bob).allowed).toBe(false);
  });

  test('every kind of the scheme has a resource type', () => {
    for (const def of scheme.all()) expect(model.resourceType(def.group, def.plural)?.type).toBe(def.kind);
    expect(model.resourceType('', 'events')?.type).toBe('Event');
    expect(type('approvals').runScoped).toBe(true);
    expect(type('interventions').runScoped).toBe(true);
    expect(type('runs').runScoped).toBe(false);
  });
});

describe('user policies', () => {
  async function load(files: Record<string, string>): Promise<CedarAuthorizer> {
    const userDir = await mkdtemp(join(dir, 'policies-'));
    for (const [name, text] of Object.entries(files)) await writeFile(join(userDir, name), text);
    return new CedarAuthorizer(model, await readPolicySources(userDir));
  }

  test('a forbid policy restricts the Owner too, and the denial is explicit', async () => {
    const custom = await load({ 'freeze.cedar': '@id("frozen-namespace")\nforbid (principal, action in Action::"write", resource) when { resource.namespace == "frozen" };\n' });
    const req = { user: owner, verb: Verb.Delete, resource: type('runs'), name: 'x', subresource: '' };
    expect(custom.authorize({ ...req, namespace: 'frozen' })).toEqual({ allowed: false, denied: true, policies: ['frozen-namespace'] });
    expect(custom.authorize({ ...req, namespace: 'default' }).allowed).toBe(true);
  });

  test('a permit policy grants more: Viewers may create interventions in a sandbox namespace', async () => {
    const custom = await load({ 'sandbox.cedar': 'permit (principal, action == Action::"create", resource is Intervention) when { principal.role == "Viewer" && resource.namespace == "sandbox" };' });
    const req = { user: bob, verb: Verb.Create, resource: type('interventions'), name: '', subresource: '' };
    expect(custom.authorize({ ...req, namespace: 'sandbox' }).allowed).toBe(true);
    expect(custom.authorize({ ...req, namespace: 'default' }).allowed).toBe(false);
    expect(custom.authorize({ ...req, namespace: 'sandbox' }).policies).toEqual(['sandbox.cedar#0']);
  });

  test('a file that does not parse is an error naming the file, the line and Cedar’s message', async () => {
    const err = await load({ 'broken.cedar': 'permit (principal, action, resource)\nwhen { principal.role == "Viewer" ;\n' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PolicyError);
    expect((err as Error).message).toMatch(/^policy file .*\/broken\.cedar: 2:35: unexpected token `;`/);
  });

  test('a policy that does not validate against the schema is an error naming the file and policy', async () => {
    const err = await load({ 'typo.cedar': '@id("typo")\npermit (principal, action, resource is Rnu);\n' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PolicyError);
    expect((err as Error).message).toMatch(/typo\.cedar/);
    const attr = await load({ 'attr.cedar': '@id("attr")\npermit (principal, action, resource) when { principal.department == "x" };\n' }).catch((e: unknown) => e);
    expect((attr as Error).message).toMatch(/^policy file .*attr\.cedar: policy "attr" is invalid: .*department/);
  });

  test('two policies with one id are refused', async () => {
    const err = await load({ 'dup.cedar': '@id("owner")\npermit (principal, action, resource);\n' }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/dup\.cedar: policy id "owner" is already used in .*roles\.cedar/);
  });
});
