/**
 * `sidekick token create|list|revoke` and `sidekick auth can-i`, run in-process against a real
 * daemon: the owner on the socket issues tokens, and the CLI acts as those identities with
 * SIDEKICK_TOKEN (or --token) over the same socket.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { parseTable, runManifest, startHarness, type CliHarness } from '../../test/support/cli-harness.js';

let h: CliHarness;
const token: Record<string, string> = {};
const asUser = (name: string) => ({ env: { SIDEKICK_TOKEN: token[name] } });

beforeAll(async () => {
  h = await startHarness();
  for (const [name, role] of [['bob', 'Viewer'], ['carol', 'collaborator']]) {
    const r = await h.sk(['token', 'create', '--as', name!, '--role', role!]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    // Only the token, so $(sidekick token create …) captures it.
    expect(r.stdout).toMatch(/^skt_[A-Za-z0-9_-]{43}\n$/);
    token[name!] = r.stdout.trim();
  }
});

afterAll(async () => {
  await h?.close();
});

describe('token', () => {
  test('list shows identities and roles, never tokens', async () => {
    const r = await h.sk(['token', 'list']);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain(token.bob);
    expect(parseTable(r.stdout).map((row) => [row.NAME, row.ROLE])).toEqual([
      ['bob', 'Viewer'],
      ['carol', 'Collaborator'],
    ]);
    expect((await h.sk(['token', 'list', '-o', 'name'])).stdout).toBe('token.auth.sidekicks.dev/bob\ntoken.auth.sidekicks.dev/carol\n');
  });

  test('a bad role is a usage error; a second token for a name is AlreadyExists', async () => {
    expect(await h.sk(['token', 'create', '--as', 'erin', '--role', 'Admin'])).toMatchObject({ code: 1, stderr: 'error: --role must be one of Owner, Collaborator, Viewer, RuntimeContributor; got "Admin"\n' });
    expect(await h.sk(['token', 'create', '--as', 'bob', '--role', 'Owner'])).toMatchObject({ code: 1, stderr: 'Error from server (AlreadyExists): tokens.auth.sidekicks.dev "bob" already exists\n' });
  });

  test('only the owner issues tokens', async () => {
    const r = await h.sk(['token', 'create', '--as', 'eve', '--role', 'Owner'], asUser('carol'));
    expect(r).toMatchObject({
      code: 1,
      stderr: 'Error from server (Forbidden): tokens.auth.sidekicks.dev is forbidden: User "carol" cannot create resource "tokens" in API group "auth.sidekicks.dev" at the cluster scope\n',
    });
  });

  test('revoke: the token stops working at once', async () => {
    const tmp = await h.sk(['token', 'create', '--as', 'temp', '--role', 'Viewer']);
    token.temp = tmp.stdout.trim();
    expect((await h.sk(['get', 'runs'], asUser('temp'))).code).toBe(0);
    expect(await h.sk(['token', 'revoke', 'temp'])).toMatchObject({ code: 0, stdout: 'token.auth.sidekicks.dev "temp" revoked\n' });
    expect(await h.sk(['get', 'runs'], asUser('temp'))).toMatchObject({ code: 1, stderr: 'Error from server (Unauthorized): Unauthorized\n' });
    expect((await h.sk(['token', 'revoke', 'temp'])).stderr).toBe('Error from server (NotFound): tokens.auth.sidekicks.dev "temp" not found\n');
  });
});

describe('acting as a token identity', () => {
  test('a Viewer reads but cannot create; the error is kube-apiserver’s', async () => {
    const file = await h.write('run.json', runManifest('bobs-run'));
    expect((await h.sk(['get', 'runs'], asUser('bob'))).code).toBe(0);
    const r = await h.sk(['apply', '-f', file], asUser('bob'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('runs.sidekicks.dev is forbidden: User "bob" cannot create resource "runs" in API group "sidekicks.dev" in the namespace "default"');
  });

  test('--token works as well as SIDEKICK_TOKEN', async () => {
    expect(await h.sk(['auth', 'can-i', 'create', 'runs', '--token', token.bob!])).toMatchObject({ code: 1, stdout: 'no\n' });
  });
});

describe('auth can-i', () => {
  beforeAll(async () => {
    expect((await h.sk(['apply', '-f', await h.write('carols.json', runManifest('carols-run'))], asUser('carol'))).code).toBe(0);
    expect((await h.sk(['apply', '-f', await h.write('owners.json', runManifest('owners-run'))])).code).toBe(0);
  });

  test('yes with exit 0, no with exit 1, like kubectl', async () => {
    expect(await h.sk(['auth', 'can-i', 'create', 'runs'])).toEqual({ code: 0, stdout: 'yes\n', stderr: '' });
    expect(await h.sk(['auth', 'can-i', 'list', 'runs'], asUser('bob'))).toEqual({ code: 0, stdout: 'yes\n', stderr: '' });
    expect(await h.sk(['auth', 'can-i', 'patch', 'approvals'], asUser('bob'))).toEqual({ code: 1, stdout: 'no\n', stderr: '' });
    expect(await h.sk(['auth', 'can-i', 'create', 'tokens'], asUser('carol'))).toEqual({ code: 1, stdout: 'no\n', stderr: '' });
    expect(await h.sk(['auth', 'can-i', 'create', 'tokens'])).toEqual({ code: 0, stdout: 'yes\n', stderr: '' });
  });

  test('ownership: a Collaborator may patch her own run, not another’s (TYPE NAME or TYPE/NAME)', async () => {
    expect(await h.sk(['auth', 'can-i', 'patch', 'run', 'carols-run'], asUser('carol'))).toMatchObject({ code: 0, stdout: 'yes\n' });
    expect(await h.sk(['auth', 'can-i', 'patch', 'runs/owners-run'], asUser('carol'))).toMatchObject({ code: 1, stdout: 'no\n' });
    expect(await h.sk(['auth', 'can-i', 'patch', 'runs/carols-run', '--subresource', 'status'], asUser('carol'))).toMatchObject({ code: 1, stdout: 'no\n' });
  });

  test('--as: the owner asks for another identity; anyone else is refused', async () => {
    expect(await h.sk(['auth', 'can-i', 'create', 'runs', '--as', 'bob'])).toMatchObject({ code: 1, stdout: 'no\n' });
    expect(await h.sk(['auth', 'can-i', 'create', 'runs', '--as', 'carol'])).toMatchObject({ code: 0, stdout: 'yes\n' });
    expect(await h.sk(['auth', 'can-i', 'create', 'runs', '--as', 'bob'], asUser('carol'))).toMatchObject({
      code: 1,
      stdout: '',
      stderr: 'Error from server (Forbidden): users "bob" is forbidden: User "carol" cannot impersonate resource "users" in API group "" at the cluster scope\n',
    });
  });

  test('-q answers with the exit code only; unknown types and verbs warn like kubectl', async () => {
    expect(await h.sk(['auth', 'can-i', 'delete', 'runs', '-q'], asUser('bob'))).toEqual({ code: 1, stdout: '', stderr: '' });
    expect(await h.sk(['auth', 'can-i', 'get', 'widgets'])).toEqual({ code: 1, stdout: 'no - the server has no resource "widgets" in API group ""\n', stderr: "Warning: the server doesn't have a resource type 'widgets'\n" });
    expect(await h.sk(['auth', 'can-i', 'frobnicate', 'runs'])).toMatchObject({ code: 1, stderr: "Warning: verb 'frobnicate' is not a known verb\n" });
    expect(await h.sk(['auth', 'can-i', '*', '*'])).toMatchObject({ code: 0, stdout: 'yes\n' });
    expect(await h.sk(['auth', 'can-i', '*', '*'], asUser('bob'))).toMatchObject({ code: 1, stdout: 'no\n' });
  });
});
