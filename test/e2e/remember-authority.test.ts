/**
 * The remembered-rule escalation of issue 9, end to end: a real daemon with its controllers, a
 * Collaborator (carol, a token identity on the socket) and the Owner sharing one session. Carol
 * may remember for her own run only; the Owner's later run in that session still asks.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Approval } from '../../resources/kinds/approval.js';
import type { ApprovalPolicy } from '../../resources/kinds/approvalpolicy.js';
import { eventually } from '../eventually.js';
import { applyAll, demoRepo, GV, runPhase, sidekick, SocketApi, startInProcessDaemon, type InProcessDaemon } from './support.js';

/** The API over the daemon's socket as the identity holding `token`. */
function as(d: InProcessDaemon, token: string, method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<any> {
  return new SocketApi(d.daemon.socketPath, token).raw(method, path, body, contentType);
}

const MERGE = 'application/merge-patch+json';
const COMMAND = 'echo shared >> log.txt';

describe('remembering stays within the decider’s authority (in-process daemon)', () => {
  let d: InProcessDaemon;
  let carol: string;

  beforeAll(async () => {
    d = await startInProcessDaemon('sidekick-remember-');
    carol = (await d.daemon.tokens.create('carol', 'Collaborator')).token;
    const script = [{ tool: 'RunCommand', input: { command: COMMAND } }, { say: 'done' }];
    await applyAll(d.client, [
      { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Session', metadata: { name: 'shared' }, spec: {} },
      { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Agent', metadata: { name: 'coder' }, spec: { driver: 'Scripted', script } },
      { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'RepoMount', metadata: { name: 'demo' }, spec: { session: 'shared', path: demoRepo(d.dir) } },
    ]);
  });
  afterAll(async () => {
    await d?.stop();
  });

  const run = (name: string) => ({ apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Run', metadata: { name }, spec: { session: 'shared', agent: 'coder', repoMount: 'demo', prompt: 'go' } });

  async function pendingApprovalOf(runName: string): Promise<Approval> {
    return eventually(async () => {
      const list = (await d.client.raw('GET', `${GV}/approvals`)) as { items: Approval[] };
      const pending = list.items.filter((a) => a.spec.run === runName && a.status?.phase === 'Pending');
      expect(pending).toHaveLength(1);
      return pending[0]!;
    }, { timeoutMs: 20_000 });
  }

  it('a Collaborator’s session rule is refused, her run rule records her, and the Owner’s next run still asks', async () => {
    await as(d, carol, 'POST', `${GV}/runs`, run('carols'));
    const asked = await pendingApprovalOf('carols');
    expect(asked.spec.request?.command).toBe(COMMAND);

    // The escalation as found: a session-wide "approve every command". Over-broad first (422), and
    // even named exactly, a session rule is not hers to write (403). Nothing is decided by either.
    const decide = (remember: Record<string, unknown>) => as(d, carol, 'PATCH', `${GV}/approvals/${asked.metadata.name}`, { spec: { decision: { verdict: 'Approved', remember } } }, MERGE);
    await expect(decide({ scope: 'Session', pattern: { command: '*' } })).rejects.toMatchObject({ code: 422 });
    await expect(decide({ scope: 'Session' })).rejects.toMatchObject({ code: 403, message: expect.stringContaining('remembered-session-shared') });
    expect(((await d.client.get('approvals', 'default', asked.metadata.name!)) as Approval).spec.decision).toBeUndefined();

    await decide({ scope: 'Run' });
    await eventually(async () => (await runPhase(d.client, 'carols')).status?.phase === 'Completed', { timeoutMs: 20_000 });
    const policy = (await d.client.get('approvalpolicies', 'default', 'remembered-run-carols')) as ApprovalPolicy;
    expect(policy.spec.rules).toEqual([
      expect.objectContaining({ category: 'ToolExecution', action: 'Allow', participant: 'carol', approval: asked.metadata.name, rememberedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) }),
    ]);
    const described = await sidekick(d.home, ['describe', 'approvalpolicy', 'remembered-run-carols']);
    expect(described.code).toBe(0);
    expect(described.stdout).toMatch(/Participant:\s+carol/);
    expect(described.stdout).toMatch(/Remembered At:\s+\d{4}-/);

    // The Owner's run in the same session runs the same command: carol's rule does not reach it.
    await d.client.create('runs', 'default', run('owners'));
    const owners = await pendingApprovalOf('owners');
    expect(owners.spec.request?.command).toBe(COMMAND);
    await d.client.raw('PATCH', `${GV}/approvals/${owners.metadata.name}`, { spec: { decision: { verdict: 'Rejected', reason: 'not now' } } }, MERGE);
    await eventually(async () => (await runPhase(d.client, 'owners')).status?.phase === 'Completed', { timeoutMs: 20_000 });
  });
});
