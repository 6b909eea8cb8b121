/**
 * Node identity end to end, against a real in-process control plane (Postgres, NATS): an Owner
 * makes a registration token, a node registers with it (credentials file 0600), exchanges its key
 * for access tokens and reads the API as system:node:<name>; a wrong or reused token, plain http
 * to another machine, a control plane whose identity changed, and a revoked node are each refused
 * with a clear message; `--repin` trusts a rebuilt control plane.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient } from '../client/index.js';
import type { KubeObject } from '../../resources/meta.js';
import { loadSigningKey } from '../auth/signing-key.js';
import { SignedTokens } from '../auth/signed-tokens.js';
import { Role } from '../auth/roles.js';
import { startControlPlane, type ControlPlaneHandle } from '../../cli/controlplane/compose.js';
import { writeSigningKey } from '../../hack/controlplane-process.js';
import { describeWithNats, describeWithPostgres, freePort } from '../../test/services.js';
import { runCli } from '../../test/support/cli.js';
import { keyFingerprint } from './identity.js';
import { connectNode, type ConnectNodeOptions } from './node-connection.js';
import { HEADER_PROTOCOL, RUNTIME_API_PREFIX, type RuntimeInfo } from './protocol.js';

const RUNS = { group: 'sidekicks.dev', version: 'v1alpha1', plural: 'runs', kind: 'Run', namespaced: true };
const NODES = { group: 'sidekicks.dev', version: 'v1alpha1', plural: 'runtimenodes', kind: 'RuntimeNode', namespaced: false };
const LEASES = { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', kind: 'Lease', namespaced: true };

const registration: ConnectNodeOptions['registration'] = {
  labels: { gpu: 'no' },
  maxRuns: 3,
  capabilities: [{ driver: 'Scripted', version: '1', available: true }],
  nodeInfo: { operatingSystem: 'linux', architecture: 'x64', kernelVersion: '6.1', isolation: 'none', sidekickVersion: '0.1.0' },
};

describeWithPostgres('runtime node identity', (getPgUrl) => {
  describeWithNats('with NATS', (getNatsUrl) => {
    const dir = mkdtempSync(join(tmpdir(), 'sk-node-identity-'));
    let port = 0;
    let cp: ControlPlaneHandle;
    let owner = '';
    let keyPath = '';
    const clients: ApiClient[] = [];

    const start = async (signingKey: string, replicaId: string): Promise<ControlPlaneHandle> =>
      startControlPlane({ database: getPgUrl(), nats: getNatsUrl(), listen: `127.0.0.1:${port}`, replicaId, signingKey, stateDir: mkdtempSync(join(dir, 'state-')) });
    const client = (token: string): ApiClient => {
      const c = new ApiClient({ baseUrl: cp.url, token });
      clients.push(c);
      return c;
    };
    const api = async (path: string, init: RequestInit = {}, token = owner): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> => {
      const res = await fetch(`${cp.url}${RUNTIME_API_PREFIX}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(init.headers as Record<string, string>) } });
      return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
    };
    const registrationToken = async (node?: string): Promise<string> => {
      const r = await api('/tokens', { method: 'POST', body: JSON.stringify({ ...(node ? { node } : {}), ttl: '10m' }) });
      expect(r.status).toBe(201);
      return r.body.token as string;
    };
    const opts = (name: string, extra: Partial<ConnectNodeOptions> = {}): ConnectNodeOptions => ({
      url: cp.url,
      name,
      credentialsFile: join(dir, `${name}.credentials.json`),
      registration,
      ...extra,
    });

    beforeAll(async () => {
      port = await freePort();
      keyPath = writeSigningKey(mkdtempSync(join(dir, 'key-')));
      cp = await start(keyPath, 'cp-1');
      owner = await new SignedTokens(await loadSigningKey(keyPath)).issue('admin', Role.Owner, { ttlMs: 3_600_000 });
    }, 60_000);

    afterAll(async () => {
      for (const c of clients) c.close();
      await cp?.stop();
      rmSync(dir, { recursive: true, force: true });
    }, 60_000);

    it('serves its identity anonymously, and refuses a node protocol it does not speak naming both versions', async () => {
      const res = await fetch(`${cp.url}${RUNTIME_API_PREFIX}/info`);
      expect(res.status).toBe(200);
      expect(res.headers.get(HEADER_PROTOCOL)).toBe('1');
      const info = (await res.json()) as RuntimeInfo;
      expect(info.identity.fingerprint).toBe(keyFingerprint((await loadSigningKey(keyPath)).publicKey));
      expect(info.nats).toEqual([getNatsUrl()]);
      const old = await fetch(`${cp.url}${RUNTIME_API_PREFIX}/info`, { headers: { [HEADER_PROTOCOL]: '7' } });
      expect(old.status).toBe(426);
      expect(((await old.json()) as { message: string }).message).toBe('node protocol 7 is not supported by this control plane (protocol 1): upgrade the control plane');
    });

    it('lets only an Owner make registration tokens, which carry the control plane fingerprint', async () => {
      const viewer = await new SignedTokens(await loadSigningKey(keyPath)).issue('bob', Role.Viewer);
      expect((await api('/tokens', { method: 'POST', body: '{}' }, viewer)).status).toBe(403);
      expect((await api('/tokens', { method: 'POST', body: '{}' }, 'nonsense')).status).toBe(401);
      const token = await registrationToken('laptop-a');
      expect(token.startsWith(`SKN1${keyFingerprint((await loadSigningKey(keyPath)).publicKey)}::`)).toBe(true);
      const list = await api('/tokens');
      expect((list.body.items as { node: string }[]).map((t) => t.node)).toContain('laptop-a');
      expect(JSON.stringify(list.body)).not.toContain(token.split('::')[1]);
    });

    it('registers a node: RuntimeNode, 0600 credentials, access tokens that read the API as the node; the token is one-use', async () => {
      const token = await registrationToken('laptop-b');
      const lines: string[] = [];
      const conn = await connectNode(opts('laptop-b', { token, log: (l) => lines.push(l) }));
      expect(conn.owner).toBe('admin');
      const file = join(dir, 'laptop-b.credentials.json');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const saved = JSON.parse(readFileSync(file, 'utf8')) as { credentials: Record<string, { privateKey: { d?: string }; controlPlane: { fingerprint: string } }> };
      const entry = Object.values(saved.credentials)[0];
      expect(entry.privateKey.d).toBeDefined();
      expect(entry.controlPlane.fingerprint).toBe(conn.info.identity.fingerprint);
      expect(await cp.nodes.publicKeyOf('laptop-b')).toEqual(conn.publicKey);
      expect(await cp.nodes.ownerOf('laptop-b')).toBe('admin');

      const node = await client(owner).get<KubeObject & { spec: { owner: string; maxRuns: number; labels: Record<string, string> }; status: { nodeInfo?: { operatingSystem: string }; version?: string } }>(NODES, undefined, 'laptop-b');
      expect(node.spec).toMatchObject({ owner: 'admin', maxRuns: 3, labels: { gpu: 'no' } });
      expect(node.status.nodeInfo?.operatingSystem).toBe('linux');

      const asNode = client(await conn.accessToken());
      expect((await asNode.list(RUNS, { namespace: 'default' })).items).toEqual([]);
      // Its own RuntimeNode's status and its Lease; not a Run it was not given, not someone else's node.
      await asNode.patch(NODES, undefined, 'laptop-b', 'merge', { status: { runs: 0 } }, { subresource: 'status' });
      await asNode.create(LEASES, 'sidekick-node-lease', { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'laptop-b', namespace: 'sidekick-node-lease' }, spec: { holderIdentity: 'laptop-b' } });
      await expect(asNode.create(RUNS, 'default', { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Run', metadata: { name: 'x' }, spec: {} })).rejects.toMatchObject({ reason: 'Forbidden' });

      // The one-time token cannot register anything again, and nothing is cached for the refused name.
      await expect(connectNode(opts('laptop-b2', { token: await registrationToken('laptop-x') }))).rejects.toThrow(/refused the registration of "laptop-b2": registration refused: the registration token is for node "laptop-x", not "laptop-b2"/);
      await expect(connectNode(opts('laptop-b', { token, credentialsFile: join(dir, 'other.json') }))).rejects.toThrow(/the registration token was already used/);
      expect(existsSync(join(dir, 'other.json'))).toBe(false);

      // A later start needs no token.
      const again = await connectNode(opts('laptop-b'));
      expect((await client(await again.accessToken()).list(RUNS, { namespace: 'default' })).items).toEqual([]);
    });

    it('refuses a wrong token and plain http to another machine, caching nothing', async () => {
      const real = await registrationToken('laptop-c');
      const wrong = real.replace(/\.(.)/, (_m, c: string) => `.${c === 'A' ? 'B' : 'A'}`);
      await expect(connectNode(opts('laptop-c', { token: wrong }))).rejects.toThrow(/refused the registration of "laptop-c": registration refused: the registration token is not valid here/);
      await expect(connectNode(opts('laptop-c', { token: 'skt_nonsense' }))).rejects.toThrow(/--token: not a registration token/);
      const foreign = `SKN1${'0'.repeat(64)}::${real.split('::')[1]}`;
      await expect(connectNode(opts('laptop-c', { token: foreign }))).rejects.toThrow(/the registration token is for control plane 0{64}, but .* presents [0-9a-f]{64}: .*the token was not sent/);
      await expect(connectNode(opts('laptop-c', { token: real, url: 'http://sidekick.example.com:8000' }))).rejects.toThrow(
        '--url: refusing plain http to sidekick.example.com: tokens and keys would cross the network in the clear; use https, or pass --allow-insecure',
      );
      expect(existsSync(join(dir, 'laptop-c.credentials.json'))).toBe(false);
      // The token was never burnt by the refusals.
      await connectNode(opts('laptop-c', { token: real }));
    });

    it('refuses a control plane whose pinned identity changed, and --repin trusts the new one', async () => {
      const token = await registrationToken('laptop-d');
      await connectNode(opts('laptop-d', { token }));
      const file = join(dir, 'laptop-d.credentials.json');
      const before = readFileSync(file, 'utf8');
      // The control plane is rebuilt with a new signing key, same database, same address.
      await cp.stop();
      const newKey = writeSigningKey(mkdtempSync(join(dir, 'key-')));
      cp = await start(newKey, 'cp-2');
      keyPath = newKey;
      owner = await new SignedTokens(await loadSigningKey(newKey)).issue('admin', Role.Owner, { ttlMs: 3_600_000 });
      const newFingerprint = keyFingerprint((await loadSigningKey(newKey)).publicKey);
      await expect(connectNode(opts('laptop-d'))).rejects.toThrow(/the control plane's identity changed: .* presents [0-9a-f]{64}, but node "laptop-d" pinned [0-9a-f]{64} at registration\. If the control plane was rebuilt on purpose, `sidekick serve --repin` trusts the new identity/);
      expect(readFileSync(file, 'utf8')).toBe(before);
      const lines: string[] = [];
      const conn = await connectNode(opts('laptop-d', { repin: true, log: (l) => lines.push(l) }));
      expect(lines.join('\n')).toContain(`WARNING: --repin: trusting the control plane's new identity ${newFingerprint}`);
      expect((await client(await conn.accessToken()).list(RUNS, { namespace: 'default' })).items).toEqual([]);
      // Pinned now: a plain start works.
      await connectNode(opts('laptop-d'));
      // A tampered pin is refused the same way.
      writeFileSync(file, readFileSync(file, 'utf8').replaceAll(newFingerprint, 'f'.repeat(64)));
      await expect(connectNode(opts('laptop-d'))).rejects.toThrow(/identity changed/);
    }, 60_000);

    it('revokes a node: its access token and its next exchange are refused saying so; a fresh token registers it again', async () => {
      const token = await registrationToken('laptop-e');
      const conn = await connectNode(opts('laptop-e', { token }));
      const access = client(await conn.accessToken());
      await access.list(RUNS, { namespace: 'default' });
      const r = await api('/nodes/laptop-e/credential', { method: 'DELETE' });
      expect(r.status).toBe(200);
      await expect(access.list(RUNS, { namespace: 'default' })).rejects.toMatchObject({ reason: 'Unauthorized', message: expect.stringMatching(/node "laptop-e" was revoked/) });
      await expect(connectNode(opts('laptop-e'))).rejects.toThrow(/refused node "laptop-e": node "laptop-e" was revoked/);
      expect(await cp.nodes.publicKeyOf('laptop-e')).toBeUndefined();
      const node = await client(owner).get<KubeObject & { status: { phase?: string } }>(NODES, undefined, 'laptop-e');
      expect(node.status.phase).toBe('Revoked');
      // Re-registration with a fresh token for that name replaces the key.
      const again = await connectNode(opts('laptop-e', { token: await registrationToken('laptop-e') }));
      expect(again.publicKey).not.toEqual(conn.publicKey);
      expect(await cp.nodes.publicKeyOf('laptop-e')).toEqual(again.publicKey);
    });

    it('does it all from the CLI: token create --node, token list --nodes, token revoke --node', async () => {
      const home = mkdtempSync(join(dir, 'cli-'));
      const sk = (argv: string[]) => runCli(home, argv, { env: { SIDEKICK_SERVER: cp.url, SIDEKICK_TOKEN: owner } });
      const created = await sk(['token', 'create', '--node', 'laptop-f', '--ttl', '30m']);
      expect(created).toMatchObject({ code: 0, stderr: '' });
      const token = created.stdout.trim();
      expect(token).toMatch(/^SKN1[0-9a-f]{64}::[0-9a-f]{16}\.[A-Za-z0-9_-]{43}$/);
      const pending = await sk(['token', 'list', '--nodes']);
      expect(pending.stdout).toMatch(/^NODE\s+OWNER\s+STATUS\s+AGE$/m);
      expect(pending.stdout).toMatch(/^laptop-f\s+admin\s+Pending \(token [0-9a-f]{16}, expires in (29|30)m/m);
      await connectNode(opts('laptop-f', { token }));
      const listed = await sk(['token', 'list', '--nodes']);
      expect(listed.stdout).toMatch(/^laptop-f\s+admin\s+Registered\s/m);
      expect(listed.stdout).not.toMatch(/^laptop-f\s+admin\s+Pending/m);
      expect(await sk(['token', 'revoke', '--node', 'laptop-f'])).toMatchObject({ code: 0, stdout: 'runtimenode "laptop-f" revoked\n' });
      expect((await sk(['token', 'list', '--nodes'])).stdout).toMatch(/^laptop-f\s+admin\s+Revoked\s/m);
      await expect(connectNode(opts('laptop-f'))).rejects.toThrow(/node "laptop-f" was revoked/);
      const again = await sk(['token', 'revoke', '--node', 'laptop-f']);
      expect(again.code).toBe(1);
      expect(again.stderr).toContain('node "laptop-f" has no credential to revoke');
      expect(await sk(['token', 'create', '--node', 'Bad_Name'])).toMatchObject({ code: 1, stderr: 'error: --node: "Bad_Name" is not a node name (lower-case letters, digits, - and .)\n' });
    });
  });
});
