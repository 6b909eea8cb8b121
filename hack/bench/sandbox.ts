/**
 * Sandbox benchmark (issue 9): what bubblewrap adds to each command an agent runs. The same
 * RunCommand (`/bin/sh -c true`, then a small `git status`) runs unsandboxed and in the nested
 * per-command sandbox, interleaved in one run so both see the same machine; plus the cost of
 * starting a run's driver-host sandbox (profile + bwrap around `true`).
 *
 * Usage: node dist/hack/bench/sandbox.js [--runs N]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { runCommand } from '../../node/tools/run-command.js';
import { hostProfile } from '../../node/sandbox/host-profile.js';
import { sandboxArgv } from '../../node/sandbox/bubblewrap.js';
import { probeSandbox } from '../../node/sandbox/probe.js';
import { percentile } from './http.js';

const runsAt = process.argv.indexOf('--runs');
const runs = runsAt > 0 ? Number(process.argv[runsAt + 1]) : 200;
if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be a positive integer');

async function timeCommand(command: string, cwd: string, sandbox?: { bwrap: string; network: boolean }): Promise<number> {
  const started = process.hrtime.bigint();
  const result = await runCommand(command, { cwd, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, timeoutMs: 30_000, outputCapBytes: 65536, killGraceMs: 1000, ...(sandbox ? { sandbox } : {}) }, new AbortController().signal);
  if (!result.ok) throw new Error(`${command} failed: ${result.output}`);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

function timeSpawn(argv: string[]): Promise<number> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(Number(process.hrtime.bigint() - started) / 1e6) : reject(new Error(`${argv.join(' ')} exited ${code}`))));
  });
}

function row(label: string, unsorted: number[], unsortedBaseline?: number[]): string {
  const samples = [...unsorted].sort((a, b) => a - b);
  const baseline = unsortedBaseline && [...unsortedBaseline].sort((a, b) => a - b);
  const p50 = percentile(samples, 50);
  const p99 = percentile(samples, 99);
  const ratio = baseline ? `  ×${(p50 / percentile(baseline, 50)).toFixed(2)} p50, +${(p50 - percentile(baseline, 50)).toFixed(2)} ms` : '';
  return `${label.padEnd(44)} p50 ${p50.toFixed(2).padStart(7)} ms  p99 ${p99.toFixed(2).padStart(7)} ms${ratio}`;
}

async function main(): Promise<void> {
  const found = await probeSandbox();
  if (!found.available) throw new Error(`no sandbox on this machine: ${found.reason}`);
  const dir = mkdtempSync(join(tmpdir(), 'sidekick-bench-sandbox-'));
  const ws = join(dir, 'ws');
  execFileSync('git', ['init', '-q', ws]);
  writeFileSync(join(ws, 'a.txt'), 'a\n');
  const plain: Record<string, number[]> = { true: [], git: [] };
  const boxed: Record<string, number[]> = { true: [], git: [] };
  const hostPlain: number[] = [];
  const hostBoxed: number[] = [];
  const profile = await hostProfile({ bwrap: found.bwrap, workspace: ws, readOnly: false, agentHome: dir, sidekickHome: join(dir, 'home'), userHome: dir, network: true });
  for (let i = 0; i < runs; i++) {
    // Interleaved, so drift in the machine's load falls on both alike.
    plain.true!.push(await timeCommand('true', ws));
    boxed.true!.push(await timeCommand('true', ws, { bwrap: found.bwrap, network: false }));
    plain.git!.push(await timeCommand('git status --short', ws));
    boxed.git!.push(await timeCommand('git status --short', ws, { bwrap: found.bwrap, network: false }));
    hostPlain.push(await timeSpawn(['/bin/true']));
    hostBoxed.push(await timeSpawn(sandboxArgv(profile, ['/bin/true'])));
  }
  console.log(`sandbox start overhead (${runs} runs each, interleaved; bubblewrap ${found.bwrap})`);
  console.log(row('RunCommand `true` unsandboxed', plain.true!));
  console.log(row('RunCommand `true` sandboxed (no network)', boxed.true!, plain.true));
  console.log(row('RunCommand `git status` unsandboxed', plain.git!));
  console.log(row('RunCommand `git status` sandboxed', boxed.git!, plain.git));
  console.log(row('driver-host sandbox around /bin/true', hostBoxed, hostPlain));
  rmSync(dir, { recursive: true, force: true });
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
});
