/**
 * The real kubectl against the daemon's authorization: `kubectl auth can-i` (a
 * SelfSubjectAccessReview, with `--as` sent as Impersonate-User), and kubectl's own rendering of
 * a 403 when a Viewer's token tries to write.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { kubectlEnv, type KubectlEnv } from './kubectl.js';

let env: KubectlEnv;
let bob: string;
let carol: string;

/** Issues a token with kubectl itself (no OpenAPI schema is served for tokens: --validate=false). */
async function issue(name: string, role: string): Promise<string> {
  const r = await env.run(['create', '--validate=false', '-o', 'jsonpath={.status.token}', '-f', '-'], JSON.stringify({ apiVersion: 'auth.sidekicks.dev/v1alpha1', kind: 'Token', metadata: { name }, spec: { role } }));
  if (r.code !== 0) throw new Error(`kubectl create token ${name}: ${r.stderr}`);
  return r.stdout.trim();
}

beforeAll(async () => {
  env = await kubectlEnv();
  bob = await issue('bob', 'Viewer');
  carol = await issue('carol', 'Collaborator');
});

afterAll(async () => {
  await env?.close();
});

describe('kubectl and authorization', () => {
  it('auth can-i answers yes/no with exit 0/1 for the token’s identity', async () => {
    expect(await env.run(['auth', 'can-i', 'create', 'runs'])).toMatchObject({ code: 0, stdout: 'yes\n' });
    expect(await env.run(['--token', bob, 'auth', 'can-i', 'create', 'runs'])).toMatchObject({ code: 1, stdout: 'no\n' });
    expect(await env.run(['--token', bob, 'auth', 'can-i', 'watch', 'runs.sidekicks.dev'])).toMatchObject({ code: 0, stdout: 'yes\n' });
    expect(await env.run(['--token', carol, 'auth', 'can-i', 'create', 'runs'])).toMatchObject({ code: 0, stdout: 'yes\n' });
    expect(await env.run(['--token', carol, 'auth', 'can-i', 'list', 'tokens.auth.sidekicks.dev'])).toMatchObject({ code: 1, stdout: 'no\n' });
  });

  it('auth can-i --as: the owner asks for bob; bob may not ask for carol', async () => {
    expect(await env.run(['auth', 'can-i', 'delete', 'runs', '--as', 'bob'])).toMatchObject({ code: 1, stdout: 'no\n' });
    expect(await env.run(['auth', 'can-i', 'delete', 'runs', '--as', 'carol', '-n', 'default'])).toMatchObject({ code: 1, stdout: 'no\n' });
    expect(await env.run(['auth', 'can-i', 'create', 'runs', '--as', 'carol'])).toMatchObject({ code: 0, stdout: 'yes\n' });
    const r = await env.run(['--token', bob, 'auth', 'can-i', 'get', 'runs', '--as', 'carol']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('users "carol" is forbidden: User "bob" cannot impersonate resource "users" in API group "" at the cluster scope');
  });

  it('a Viewer’s write is refused with kube-apiserver’s Forbidden', async () => {
    const run = JSON.stringify({ apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Run', metadata: { name: 'bobs-run' }, spec: { session: 's1', agent: 'a1', prompt: 'p' } });
    const r = await env.run(['--token', bob, 'create', '-f', '-'], run);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Error from server (Forbidden): error when creating "STDIN": runs.sidekicks.dev is forbidden: User "bob" cannot create resource "runs" in API group "sidekicks.dev" in the namespace "default"');
    expect((await env.run(['--token', bob, 'get', 'runs'])).code).toBe(0);
  });

  it('auth can-i --list shows what each identity may do, from the same policies', async () => {
    const owner = await env.run(['auth', 'can-i', '--list']);
    expect(owner).toMatchObject({ code: 0, stderr: '' });
    expect(owner.stdout).toMatch(/^\*\.\*\s+\[\]\s+\[\]\s+\[\*\]$/m);

    const viewer = await env.run(['--token', bob, 'auth', 'can-i', '--list']);
    expect(viewer).toMatchObject({ code: 0, stderr: '' });
    expect(viewer.stdout).toMatch(/^runs\.sidekicks\.dev\s+\[\]\s+\[\]\s+\[get list watch\]$/m);
    expect(viewer.stdout).toMatch(/^\s+\[\/version\]\s+\[\]\s+\[get\]$/m);
    expect(viewer.stdout).not.toContain('tokens.auth.sidekicks.dev');
    expect(viewer.stdout).not.toContain('*.*');

    // A Collaborator's rights on their own runs are no rule of resources and verbs: kubectl says the list is incomplete.
    const collaborator = await env.run(['--token', carol, 'auth', 'can-i', '--list', '-n', 'default']);
    expect(collaborator.code).toBe(0);
    expect(collaborator.stdout).toMatch(/^runs\.sidekicks\.dev\s+\[\]\s+\[\]\s+\[create get list watch\]$/m);
    expect(collaborator.stderr).toBe(
      'Warning: the list may be incomplete: also allowed only on objects you created or whose run you created: delete, patch, update runs.sidekicks.dev; patch, update approvals.sidekicks.dev; create interventions.sidekicks.dev\n',
    );
    // Asked for bob by the owner (--as), the answer is bob's.
    expect((await env.run(['auth', 'can-i', '--list', '--as', 'bob'])).stdout).toBe(viewer.stdout);
  });

  it('issues a token through kubectl with validation on: kubectl’s schema lookup for a kind outside OpenAPI v3 is answered', async () => {
    const r = await env.run(['create', '-o', 'name', '-f', '-'], JSON.stringify({ apiVersion: 'auth.sidekicks.dev/v1alpha1', kind: 'Token', metadata: { name: 'dave' }, spec: { role: 'Viewer' } }));
    expect(r).toEqual({ code: 0, stdout: 'token.auth.sidekicks.dev/dave\n', stderr: '' });
    expect((await env.run(['delete', 'tokens.auth.sidekicks.dev', 'dave'])).code).toBe(0);
  });

  it('the owner lists the tokens like any resource', async () => {
    const r = await env.run(['get', 'tokens.auth.sidekicks.dev']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^NAME\s+ROLE\s+AGE\nbob\s+Viewer\s+\S+\ncarol\s+Collaborator\s+\S+\n$/);
  });
});
