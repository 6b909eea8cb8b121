import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { ServerTool, ToolResult } from '../drivers/contract.js';
import { createLocalTools, type LocalToolsOptions } from './local-tools.js';
import { withholdServerEnv } from './server-tool.js';
import { workspaceBesideOutside } from './test-support.js';

let root: string;
let cleanup: () => void;
beforeEach(() => {
  ({ root, cleanup } = workspaceBesideOutside('sidekicks-server-tool-'));
});
afterEach(() => cleanup());

// Prints what the program received: stdin, SIDEKICK_TOOL_INPUT, a Tool variable, and its directory.
const echoScript = `
let stdin = '';
process.stdin.on('data', (c) => (stdin += c));
process.stdin.on('end', () => {
  console.log(JSON.stringify({ stdin: JSON.parse(stdin), env: JSON.parse(process.env.SIDEKICK_TOOL_INPUT), greeting: process.env.GREETING ?? null, cwd: process.cwd() }));
  process.exit(Number(JSON.parse(stdin).exit ?? 0));
});`;

function echoTool(extra: Partial<ServerTool> = {}): ServerTool {
  return {
    name: 'echo-input',
    description: 'Echoes its input.',
    inputSchema: { type: 'object', properties: { message: { type: 'string' }, exit: { type: 'integer' } }, required: ['message'], additionalProperties: false },
    command: [process.execPath, '-e', echoScript],
    env: { GREETING: 'hello from the control plane' },
    timeoutSeconds: 30,
    ...extra,
  };
}

function run(serverTools: ServerTool[], input: Record<string, unknown>, opts: Partial<LocalToolsOptions> = {}, tool = 'echo-input'): Promise<ToolResult> {
  return createLocalTools({ root, readOnly: false, serverTools, ...opts }).execute({ callId: 'c1', tool, input }, new AbortController().signal);
}

const printed = (r: ToolResult) => JSON.parse(r.output.split('\n')[0]!) as { stdin: unknown; env: unknown; greeting: string | null; cwd: string };

describe('a server-defined tool', () => {
  it('gets its input on stdin and in SIDEKICK_TOOL_INPUT, runs in the workspace, and its output and exit code are the result', async () => {
    const r = await run([echoTool()], { message: 'hi there' }, { allowEnvPassthrough: true });
    expect(r).toMatchObject({ ok: true, exitCode: 0 });
    expect(printed(r)).toEqual({ stdin: { message: 'hi there' }, env: { message: 'hi there' }, greeting: 'hello from the control plane', cwd: root });

    const failed = await run([echoTool()], { message: 'x', exit: 3 });
    expect(failed).toMatchObject({ ok: false, exitCode: 3 });
    expect(failed.output).toContain('[exit code 3]');
  });

  it('refuses input its inputSchema does not accept, without running the command', async () => {
    const marker = path.join(root, 'ran.txt');
    const tool = echoTool({ command: ['/bin/sh', '-c', `touch ${marker}`] });
    const r = await run([tool], { message: 42, extra: true });
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(/^input does not match the inputSchema of tool echo-input: /);
    expect(r.output).toContain('input/message must be string');
    expect(r.output).toContain('must NOT have additional properties');
    expect(existsSync(marker)).toBe(false);
  });

  it('without passthrough the launcher withholds the Tool environment, and the result names what was withheld', async () => {
    const [withheld] = withholdServerEnv([echoTool({ env: { GREETING: 'hello', TOKEN: 's3cret' } })], false);
    expect(withheld).toMatchObject({ env: {}, withheldEnv: ['GREETING', 'TOKEN'] });
    const r = await run([withheld!], { message: 'm' });
    expect(printed(r).greeting).toBeNull();
    expect(r.output).not.toContain('s3cret');
    expect(r.output.trimEnd().split('\n').at(-1)).toBe('[environment withheld by this machine (it runs without --allow-env-passthrough): GREETING, TOKEN]');

    const [passed] = withholdServerEnv([echoTool()], true);
    expect(passed).toEqual(echoTool());
    const through = await run([passed!], { message: 'm' }, { allowEnvPassthrough: true });
    expect(printed(through).greeting).toBe('hello from the control plane');
    expect(through.output).not.toContain('withheld');
  });

  it('runs in its workingDir, which may not lead out of the workspace', async () => {
    mkdirSync(path.join(root, 'src', 'sub'));
    const inSub = await run([echoTool({ workingDir: 'src/sub' })], { message: 'm' });
    expect(printed(inSub).cwd).toBe(path.join(root, 'src', 'sub'));
    expect(await run([echoTool({ workingDir: '../outside' })], { message: 'm' })).toMatchObject({ ok: false, output: 'tool echo-input: workingDir: path escapes the workspace: ../outside' });
    expect(await run([echoTool({ workingDir: 'missing' })], { message: 'm' })).toMatchObject({ ok: false, output: expect.stringContaining('is not a directory of the workspace') });
  });

  it('is killed at its timeout', async () => {
    const r = await run([echoTool({ command: ['/bin/sh', '-c', 'exec sleep 30'], timeoutSeconds: 1 })], { message: 'm' });
    expect(r.ok).toBe(false);
    expect(r.output).toContain('[command timed out after 1s and was killed]');
  });

  it('is only reachable under its own name: other names stay unknown tools', async () => {
    expect(await run([echoTool()], { message: 'm' }, {}, 'other')).toMatchObject({ ok: false, output: 'unknown tool: other' });
  });
});
