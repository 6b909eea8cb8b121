/**
 * Server-defined tools end to end: a real daemon (the same run controller a runtime node runs),
 * the real driver host in the run's sandbox, a Scripted agent calling a Tool. The call is approved
 * as ToolExecution, runs with its input on stdin, has the Tool's environment withheld unless the
 * daemon passes environment through, and input its schema refuses never reaches a person or the
 * command. A bad Tool manifest is refused naming the field, and `sidekick explain tool` documents
 * the kind.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDaemon } from '../support/daemon.js';
import type { Approval } from '../../resources/kinds/approval.js';
import { applyAll, approvalsOfRun, completedRun, demoRepo, fetchTimeline, GV, pendingApprovalOf, runInPhase, sidekick, SocketApi, startInProcessDaemon } from './support.js';

// Prints what the tool received, one JSON line: stdin, SIDEKICK_TOOL_INPUT and the Tool's variable.
const echoScript = `let s='';process.stdin.on('data',(c)=>(s+=c));process.stdin.on('end',()=>console.log(JSON.stringify({stdin:JSON.parse(s),env:JSON.parse(process.env.SIDEKICK_TOOL_INPUT),greeting:process.env.GREETING??null})))`;

const echoTool = {
  apiVersion: 'sidekicks.dev/v1alpha1',
  kind: 'Tool',
  metadata: { name: 'echo-input' },
  spec: {
    description: 'Echoes its input.',
    inputSchema: { type: 'object', properties: { message: { type: 'string' } }, required: ['message'], additionalProperties: false },
    command: [process.execPath, '-e', echoScript],
    env: { GREETING: 'hello from the server' },
  },
};

/** A session, a Scripted agent with the echo tool, the tool and a run in the demo repository. */
async function startRun(client: SocketApi, demo: string, name: string, script: Record<string, unknown>[], extra: Record<string, unknown>[] = []): Promise<void> {
  await client.raw('POST', `${GV}/tools`, echoTool).catch((err: { reason?: string }) => {
    if (err.reason !== 'AlreadyExists') throw err;
  });
  await applyAll(client, [
    { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Session', metadata: { name }, spec: {} },
    { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Agent', metadata: { name }, spec: { driver: 'Scripted', serverTools: ['echo-input'], script } },
    { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'RepoMount', metadata: { name }, spec: { session: name, path: demo } },
    ...extra,
    { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Run', metadata: { name }, spec: { session: name, agent: name, repoMount: name, prompt: 'go' } },
  ] as Record<string, any>[]);
}

interface ToolResultPayload {
  tool: string;
  ok: boolean;
  output: string;
}

/** The outcomes of the session's tool calls, in order. */
async function toolResults(client: SocketApi, session: string): Promise<ToolResultPayload[]> {
  // A failed call is journalled as tool.error, a successful one as tool.result.
  return (await fetchTimeline(client, session)).filter((e) => e.type === 'tool.result' || e.type === 'tool.error').map((e) => e.payload as ToolResultPayload);
}

describe('server-defined tools on a daemon without env passthrough', () => {
  let dir: string;
  let home: string;
  let client: SocketApi;
  let demo: string;
  let stop: () => Promise<void>;

  beforeAll(async () => {
    ({ dir, home, client, stop } = await startInProcessDaemon('sidekick-server-tools-'));
    demo = demoRepo(dir);
  });
  afterAll(() => stop());

  test('a call is approved as ToolExecution, gets its input, and the result says which variables were withheld', async () => {
    await startRun(client, demo, 'echo', [
      { tool: 'echo-input', input: { message: 'hello tool' } },
      { tool: 'echo-input', input: { message: 42 } },
      { say: 'done' },
    ]);
    const approval: Approval = await pendingApprovalOf(client, 'echo');
    expect(approval.spec).toMatchObject({ category: 'ToolExecution', request: { tool: 'echo-input' } });
    await client.raw('PATCH', `${GV}/approvals/${approval.metadata.name}`, { spec: { decision: { verdict: 'Approved' } } }, 'application/merge-patch+json');
    await completedRun(client, 'echo');

    const [first, second] = await toolResults(client, 'echo');
    expect(first).toMatchObject({ tool: 'echo-input', ok: true });
    const [printed, note] = first!.output.trimEnd().split('\n');
    expect(JSON.parse(printed!)).toEqual({ stdin: { message: 'hello tool' }, env: { message: 'hello tool' }, greeting: null });
    expect(note).toBe('[environment withheld by this machine (it runs without --allow-env-passthrough): GREETING]');
    expect(first!.output).not.toContain('hello from the server');
    // Input the schema refuses is refused before an approval is filed, and the command never runs.
    expect(second).toMatchObject({ tool: 'echo-input', ok: false });
    expect(second!.output).toMatch(/^refused: input does not match the inputSchema of tool echo-input: input\/message must be string/);
    expect(await approvalsOfRun(client, 'echo')).toHaveLength(1);
  });

  test('a bad Tool manifest is refused naming the field, and nothing is created', async () => {
    const file = join(dir, 'bad-tool.yaml');
    writeFileSync(
      file,
      ['apiVersion: sidekicks.dev/v1alpha1', 'kind: Tool', 'metadata: {name: bad}', 'spec:', '  description: broken', '  inputSchema: {type: string}', '  command: [lint]', ''].join('\n'),
    );
    const r = await sidekick(home, ['apply', '-f', file]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('spec.inputSchema: Invalid value: must describe an object: set "type": "object"');
    expect((await sidekick(home, ['get', 'tool', 'bad'])).code).not.toBe(0);
  });

  test('sidekick explain tool documents the kind and its fields', async () => {
    const r = await sidekick(home, ['explain', 'tool.spec']);
    expect(r.code).toBe(0);
    for (const field of ['description', 'inputSchema', 'command', 'env', 'timeoutSeconds', 'workingDir']) expect(r.stdout).toContain(field);
    expect(r.stdout).toContain('SIDEKICK_TOOL_INPUT');
  });

  test('a run whose agent names a missing Tool fails with reason ToolNotFound', async () => {
    await applyAll(client, [
      { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Session', metadata: { name: 'missing' }, spec: {} },
      { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Agent', metadata: { name: 'missing' }, spec: { driver: 'Scripted', serverTools: ['nowhere'], script: [{ say: 'never' }] } },
      { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'RepoMount', metadata: { name: 'missing' }, spec: { session: 'missing', path: demo } },
      { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Run', metadata: { name: 'missing' }, spec: { session: 'missing', agent: 'missing', repoMount: 'missing', prompt: 'go' } },
    ] as Record<string, any>[]);
    const run = await runInPhase(client, 'missing', 'Failed');
    expect(run.status).toMatchObject({ reason: 'ToolNotFound' });
    expect(run.status?.message).toContain('tool "nowhere" not found');
  });
});

describe('server-defined tools on a daemon with --allow-env-passthrough', () => {
  let client: SocketApi;
  let demo: string;
  let stop: () => Promise<void>;

  beforeAll(async () => {
    const temp = await tempDaemon({ prefix: 'sidekick-server-tools-pass-', allowEnvPassthrough: true });
    ({ stop } = temp);
    client = new SocketApi(temp.daemon.socketPath);
    demo = demoRepo(temp.dir);
  });
  afterAll(() => stop());

  test('the Tool environment reaches the command, and nothing is said withheld', async () => {
    const allow = { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'ApprovalPolicy', metadata: { name: 'allow-tools' }, spec: { defaults: { ToolExecution: 'Allow' } } };
    await startRun(client, demo, 'pass', [{ tool: 'echo-input', input: { message: 'through' } }, { say: 'done' }], [allow]);
    await completedRun(client, 'pass');
    const [result] = await toolResults(client, 'pass');
    expect(result).toMatchObject({ tool: 'echo-input', ok: true });
    expect(JSON.parse(result!.output.trimEnd())).toEqual({ stdin: { message: 'through' }, env: { message: 'through' }, greeting: 'hello from the server' });
  });
});
