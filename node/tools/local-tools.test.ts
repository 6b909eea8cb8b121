import { afterEach, describe, expect, it, beforeEach } from '@jest/globals';
import { existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { eventually } from '../../test/eventually.js';
import type { ToolResult } from '../drivers/contract.js';
import { createLocalTools, type LocalToolsOptions, type ToolExecutor } from './local-tools.js';
import { alive } from '../../test/support/process-alive.js';
import { workspaceBesideOutside } from './test-support.js';

let root: string;
let outside: string;
let cleanup: () => void;
let n = 0;

afterEach(() => cleanup());

beforeEach(() => {
  ({ root, outside, cleanup } = workspaceBesideOutside('sidekicks-tools-'));
  writeFileSync(path.join(root, 'src', 'main.ts'), 'export const x = 1;\n');
  writeFileSync(path.join(outside, 'secret.txt'), 'top secret\n');
  symlinkSync('/etc', path.join(root, 'etc'));
  symlinkSync(outside, path.join(root, 'out'));
});

function tools(opts: Partial<LocalToolsOptions> = {}): ToolExecutor {
  return createLocalTools({ root, readOnly: false, ...opts });
}

function call(executor: ToolExecutor, tool: string, input: Record<string, unknown>, signal = new AbortController().signal): Promise<ToolResult> {
  return executor.execute({ callId: `c${++n}`, tool, input }, signal);
}

describe('ReadFile', () => {
  it('reads a file in the workspace', async () => {
    const r = await call(tools(), 'ReadFile', { path: 'src/main.ts' });
    expect(r).toMatchObject({ ok: true, output: 'export const x = 1;\n' });
    expect(r.durationMs).toBeGreaterThanOrEqual(0);
  });

  it.each([
    ['../outside/secret.txt', 'path escapes the workspace: ../outside/secret.txt'],
    ['/etc/passwd', 'path escapes the workspace: /etc/passwd'],
    ['etc/passwd', 'path escapes the workspace: etc/passwd'],
    ['out/secret.txt', 'path escapes the workspace: out/secret.txt'],
  ])('refuses %s', async (p, output) => {
    expect(await call(tools(), 'ReadFile', { path: p })).toMatchObject({ ok: false, output });
  });

  it('accepts an absolute path inside the workspace', async () => {
    expect(await call(tools(), 'ReadFile', { path: path.join(root, 'src/main.ts') })).toMatchObject({ ok: true, output: 'export const x = 1;\n' });
  });

  it('caps large files and describes binary ones', async () => {
    writeFileSync(path.join(root, 'big.txt'), 'x'.repeat(100));
    writeFileSync(path.join(root, 'blob.bin'), Buffer.from([1, 0, 2]));
    const big = await call(tools({ outputCapBytes: 10 }), 'ReadFile', { path: 'big.txt' });
    expect(big).toMatchObject({ ok: true, truncated: true });
    expect(big.output.startsWith('xxxxxxxxxx\n[... truncated: showing 10 of 100 bytes ...]')).toBe(true);
    expect(await call(tools(), 'ReadFile', { path: 'blob.bin' })).toMatchObject({ ok: true, output: 'blob.bin is a binary file (3 bytes); not shown' });
  });

  it('reports a missing file and a directory as results', async () => {
    expect(await call(tools(), 'ReadFile', { path: 'nope.txt' })).toMatchObject({ ok: false, output: 'no such file or directory: nope.txt' });
    expect(await call(tools(), 'ReadFile', { path: 'src' })).toMatchObject({ ok: false, output: 'src is a directory; use ListFiles' });
    expect(await call(tools(), 'ReadFile', {})).toMatchObject({ ok: false, output: 'input.path must be a non-empty string' });
  });
});

describe('WriteFile', () => {
  it('writes a file, creating directories', async () => {
    expect(await call(tools(), 'WriteFile', { path: 'docs/new/readme.md', content: 'hello' })).toMatchObject({ ok: true, output: 'wrote 5 bytes to docs/new/readme.md' });
    expect(readFileSync(path.join(root, 'docs/new/readme.md'), 'utf8')).toBe('hello');
  });

  it.each([
    ['../escape.txt', 'path escapes the workspace: ../escape.txt'],
    ['/tmp/escape.txt', 'path escapes the workspace: /tmp/escape.txt'],
    ['out/planted.txt', 'path escapes the workspace: out/planted.txt'],
    ['etc/evil.conf', 'path escapes the workspace: etc/evil.conf'],
    ['.git/hooks/pre-commit', 'refusing to write inside .git: .git/hooks/pre-commit'],
  ])('refuses %s and writes nothing', async (p, output) => {
    expect(await call(tools(), 'WriteFile', { path: p, content: 'x' })).toMatchObject({ ok: false, output });
    expect(existsSync(path.join(outside, 'planted.txt'))).toBe(false);
    expect(existsSync(path.join(root, '.git', 'hooks'))).toBe(false);
  });

  it('is refused in a read-only workspace', async () => {
    expect(await call(tools({ readOnly: true }), 'WriteFile', { path: 'a.txt', content: 'x' })).toMatchObject({ ok: false, output: 'the workspace is read-only: writes are refused' });
    expect(existsSync(path.join(root, 'a.txt'))).toBe(false);
  });
});

describe('EditFile', () => {
  beforeEach(() => writeFileSync(path.join(root, 'e.txt'), 'alpha beta alpha\n'));

  it('replaces a unique occurrence literally', async () => {
    expect(await call(tools(), 'EditFile', { path: 'e.txt', oldText: 'beta', newText: '$& gamma' })).toMatchObject({ ok: true, output: 'replaced 1 occurrence in e.txt' });
    expect(readFileSync(path.join(root, 'e.txt'), 'utf8')).toBe('alpha $& gamma alpha\n');
  });

  it('refuses ambiguous text without replaceAll, replaces all with it', async () => {
    expect(await call(tools(), 'EditFile', { path: 'e.txt', oldText: 'alpha', newText: 'A' })).toMatchObject({
      ok: false,
      output: 'oldText occurs 2 times in e.txt; include more surrounding text to make it unique, or set replaceAll',
    });
    expect(readFileSync(path.join(root, 'e.txt'), 'utf8')).toBe('alpha beta alpha\n');
    expect(await call(tools(), 'EditFile', { path: 'e.txt', oldText: 'alpha', newText: 'A', replaceAll: true })).toMatchObject({ ok: true, output: 'replaced 2 occurrences in e.txt' });
    expect(readFileSync(path.join(root, 'e.txt'), 'utf8')).toBe('A beta A\n');
  });

  it('reports text that is not there', async () => {
    expect(await call(tools(), 'EditFile', { path: 'e.txt', oldText: 'delta', newText: 'x' })).toMatchObject({ ok: false, output: 'oldText not found in e.txt' });
  });

  it('is refused outside the workspace and in a read-only one', async () => {
    expect(await call(tools(), 'EditFile', { path: 'out/secret.txt', oldText: 'top', newText: 'no' })).toMatchObject({ ok: false, output: 'path escapes the workspace: out/secret.txt' });
    expect(readFileSync(path.join(outside, 'secret.txt'), 'utf8')).toBe('top secret\n');
    expect(await call(tools({ readOnly: true }), 'EditFile', { path: 'e.txt', oldText: 'beta', newText: 'x' })).toMatchObject({ ok: false });
  });
});

describe('ListFiles', () => {
  it('lists one level by default, with directories and symlinks marked', async () => {
    expect(await call(tools(), 'ListFiles', {})).toMatchObject({ ok: true, output: ['.git/', 'etc -> /etc', `out -> ${outside}`, 'src/'].join('\n') });
  });

  it('lists recursively without descending into .git or symlinks', async () => {
    writeFileSync(path.join(root, '.git', 'HEAD'), 'ref');
    const r = await call(tools(), 'ListFiles', { recursive: true });
    expect(r.output.split('\n')).toEqual(['.git/', 'etc -> /etc', `out -> ${outside}`, 'src/', 'src/main.ts']);
  });

  it('refuses a directory outside the workspace', async () => {
    expect(await call(tools(), 'ListFiles', { path: 'etc' })).toMatchObject({ ok: false, output: 'path escapes the workspace: etc' });
    expect(await call(tools(), 'ListFiles', { path: '..' })).toMatchObject({ ok: false, output: 'path escapes the workspace: ..' });
  });
});

describe('RunCommand', () => {
  it('runs in the workspace and reports output and exit code', async () => {
    const r = await call(tools(), 'RunCommand', { command: 'pwd; echo err >&2; exit 3' });
    expect(r).toMatchObject({ ok: false, exitCode: 3, output: `${root}\nerr\n[exit code 3]` });
    expect(await call(tools(), 'RunCommand', { command: 'cat src/main.ts' })).toMatchObject({ ok: true, exitCode: 0, output: 'export const x = 1;\n' });
  });

  it('runs with the sanitized environment plus the agent env', async () => {
    const baseEnv = { PATH: process.env.PATH, GITHUB_TOKEN: 'ghp_secret', HTTPS_PROXY: 'http://proxy', NODE_OPTIONS: '--inspect', KEEP: 'kept', LANG: 'C.UTF-8' };
    const command = 'echo "${GITHUB_TOKEN:-none} ${HTTPS_PROXY:-none} ${NODE_OPTIONS:-none} ${KEEP:-none} $LANG $AGENT_VAR"';
    // An allowlist: an undeclared variable (KEEP) stays out like the credentials; the agent's own env gets in.
    expect((await call(tools({ baseEnv, env: { AGENT_VAR: 'mine' } }), 'RunCommand', { command })).output).toBe('none none none none C.UTF-8 mine\n');
    expect((await call(tools({ baseEnv, allowEnvPassthrough: true, env: { AGENT_VAR: 'mine' } }), 'RunCommand', { command })).output).toBe(
      'ghp_secret http://proxy --inspect kept C.UTF-8 mine\n',
    );
  });

  it('kills the process group when the timeout passes', async () => {
    const pidFile = path.join(root, 'child.pid');
    // The background sleep outlives any test timeout: the call returns only because the timeout killed it.
    const r = await call(tools({ killGraceMs: 200 }), 'RunCommand', { command: `sleep 300 & echo $! > ${pidFile}; echo started; wait`, timeoutSeconds: 0.3 });
    expect(r).toMatchObject({ ok: false, output: 'started\n[command timed out after 0.3s and was killed]' });
    const pid = Number(readFileSync(pidFile, 'utf8'));
    await eventually(() => !alive(pid));
  });

  it('escalates to SIGKILL when SIGTERM is ignored', async () => {
    const r = await call(tools({ killGraceMs: 100 }), 'RunCommand', { command: "trap '' TERM; echo ready; while :; do :; done", timeoutSeconds: 0.2 });
    expect(r.ok).toBe(false);
    expect(r.output).toContain('timed out');
  });

  it('uses the default timeout when the call gives none', async () => {
    const r = await call(tools({ commandTimeoutMs: 200, killGraceMs: 100 }), 'RunCommand', { command: 'sleep 30' });
    expect(r.output).toBe('[command timed out after 0.2s and was killed]');
  });

  it('caps output, keeping head and tail', async () => {
    const r = await call(tools({ outputCapBytes: 1000 }), 'RunCommand', { command: 'echo BEGIN; seq 1 100000; echo END' });
    expect(r).toMatchObject({ ok: true, truncated: true, exitCode: 0 });
    expect(r.output.startsWith('BEGIN\n1\n2\n')).toBe(true);
    expect(r.output.endsWith('99999\n100000\nEND\n')).toBe(true);
    expect(r.output).toMatch(/\[\.\.\. \d+ bytes of output omitted \.\.\.\]/);
    expect(Buffer.byteLength(r.output)).toBeLessThan(1100);
  });

  it('does not wait for background jobs and leaves none behind', async () => {
    const pidFile = path.join(root, 'bg.pid');
    const r = await call(tools(), 'RunCommand', { command: `sleep 30 & echo $! > ${pidFile}; echo done` });
    expect(r).toMatchObject({ ok: true, output: 'done\n' });
    const pid = Number(readFileSync(pidFile, 'utf8'));
    await eventually(() => !alive(pid));
  });

  it('kills the command and rejects when the signal aborts', async () => {
    const pidFile = path.join(root, 'abort.pid');
    const controller = new AbortController();
    const pending = call(tools({ killGraceMs: 100 }), 'RunCommand', { command: `echo $$ > ${pidFile}; sleep 30` }, controller.signal);
    await eventually(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '');
    controller.abort(new Error('run cancelled'));
    await expect(pending).rejects.toThrow('run cancelled');
    const pid = Number(readFileSync(pidFile, 'utf8'));
    await eventually(() => !alive(pid));
  });

  it('rejects at once when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('gone'));
    await expect(call(tools(), 'ReadFile', { path: 'src/main.ts' }, controller.signal)).rejects.toThrow('gone');
  });

  it('runs in a read-only workspace (the policy layer decides)', async () => {
    expect(await call(tools({ readOnly: true }), 'RunCommand', { command: 'echo hi' })).toMatchObject({ ok: true, output: 'hi\n' });
  });

  it('validates its input', async () => {
    expect(await call(tools(), 'RunCommand', {})).toMatchObject({ ok: false, output: 'input.command must be a non-empty string' });
    expect(await call(tools(), 'RunCommand', { command: 'true', timeoutSeconds: -1 })).toMatchObject({ ok: false, output: 'input.timeoutSeconds must be a positive number' });
  });
});

describe('execute', () => {
  it('answers an unknown tool with a result', async () => {
    expect(await call(tools(), 'DeleteEverything', {})).toMatchObject({ ok: false, output: 'unknown tool: DeleteEverything' });
    expect(await call(tools(), 'toString', {})).toMatchObject({ ok: false, output: 'unknown tool: toString' });
  });
});

