import { describe, expect, it } from '@jest/globals';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { eventually } from '../../test/eventually.js';
import { CliProcess, resolveExecutable } from './cli-process.js';
import { alive } from '../../test/support/process-alive.js';

describe('resolveExecutable', () => {
  it('finds an executable on PATH, skips non-executables, and checks paths with a slash as given', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'sk-cli-'));
    const other = await mkdtemp(path.join(os.tmpdir(), 'sk-cli-'));
    await writeFile(path.join(dir, 'tool'), '#!/bin/sh\n');
    await writeFile(path.join(other, 'tool'), '#!/bin/sh\n');
    await chmod(path.join(other, 'tool'), 0o755);
    const searchPath = [dir, other].join(path.delimiter);
    expect(await resolveExecutable('tool', searchPath, '/')).toBe(path.join(other, 'tool'));
    expect(await resolveExecutable('missing', searchPath, '/')).toBeUndefined();
    expect(await resolveExecutable('./tool', undefined, other)).toBe(path.join(other, 'tool'));
    expect(await resolveExecutable('tool', undefined, other)).toBeUndefined();
    await Promise.all([dir, other].map((d) => rm(d, { recursive: true, force: true })));
  });
});

describe('CliProcess', () => {
  const node = process.execPath;

  it('delivers every stdout line before exit and keeps the stderr tail', async () => {
    const lines: string[] = [];
    const proc = new CliProcess({
      file: node,
      args: ['-e', 'for (let i = 0; i < 500; i++) console.log("line " + i); process.stdout.write("partial"); console.error("x".repeat(100) + "END"); process.exitCode = 4'],
      cwd: os.tmpdir(),
      env: {},
      onLine: (l) => lines.push(l),
      stderrTailBytes: 10,
    });
    const exit = await proc.exited;
    expect(lines).toHaveLength(501);
    expect(lines.at(-1)).toBe('partial');
    expect(exit).toEqual({ code: 4, signal: null, stderrTail: 'xxxxxxEND\n' });
  });

  it('stops waiting for stdout a while after exit when a background process holds the pipe', async () => {
    const lines: string[] = [];
    // The background sleep holds stdout open far longer than any test timeout.
    const proc = new CliProcess({
      file: '/bin/sh',
      args: ['-c', 'echo one; sleep 300 & echo $!; echo two'],
      cwd: os.tmpdir(),
      env: {},
      onLine: (l) => lines.push(l),
      stdioDrainMs: 100,
    });
    try {
      expect(await proc.exited).toMatchObject({ code: 0 });
      expect(lines).toEqual(['one', expect.stringMatching(/^[1-9]\d*$/), 'two']);
      // It exited while the pipe was still held: the holder is alive.
      expect(alive(Number(lines[1]))).toBe(true);
    } finally {
      if (/^[1-9]\d*$/.test(lines[1] ?? '')) process.kill(Number(lines[1]), 'SIGKILL');
    }
  });

  it('escalates to SIGTERM when the CLI ignores SIGINT', async () => {
    const lines: string[] = [];
    const proc = new CliProcess({
      file: node,
      args: ['-e', 'process.on("SIGINT", () => {}); console.log("ready"); setInterval(() => {}, 1000)'],
      cwd: os.tmpdir(),
      env: {},
      onLine: (l) => lines.push(l),
    });
    // Stop only once it has installed its SIGINT handler, or the first signal would simply kill it.
    await eventually(() => lines.includes('ready'));
    const exit = await proc.stop(200);
    expect(exit.signal).toBe('SIGTERM');
  });

  it('stops the commands the CLI started too', async () => {
    const lines: string[] = [];
    // A background job of a non-interactive shell ignores SIGINT, like a stubborn tool command.
    const proc = new CliProcess({ file: '/bin/sh', args: ['-c', 'sleep 30 & echo $!; wait'], cwd: os.tmpdir(), env: {}, onLine: (l) => lines.push(l), stdioDrainMs: 100 });
    const grandchild = await eventually(() => {
      expect(lines[0]).toMatch(/^[1-9]\d*$/);
      return Number(lines[0]);
    });
    expect(alive(grandchild)).toBe(true);
    await proc.stop(200);
    await eventually(() => !alive(grandchild));
  });

  it('reports a spawn failure as an exit with an error', async () => {
    const exit = await new CliProcess({ file: '/nonexistent/bin', args: [], cwd: os.tmpdir(), env: {}, onLine: () => {} }).exited;
    expect(exit.code).toBeNull();
    expect(exit.error).toContain('ENOENT');
  });
});
