/**
 * The README's tour, run as a new user runs it: every `$ ` line of the console blocks under
 * "## A short tour" and "## Start in the repository you are in", in order, through bash, from the
 * repository root, with a fresh temporary HOME (so `~/.sidekick`, `~/sidekick-demo` and
 * `~/my-project` are this test's own, and there is no ~/.gitconfig, as on a new machine). Each line
 * gets the working directory and the exported variables the lines before it left (`export PATH=…`,
 * `cd …`).
 *
 * A line whose comment says "Ctrl-C" follows something that does not end by itself: it is stopped
 * with SIGINT once it printed what the README promises. Every other line must exit 0. The checks
 * below say what a line promises beyond its exit code; they are consumed in README order, and one
 * whose line left the README fails the test, so the README and this test change together.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { e2eDefaultIsolation } from '../services.js';
import { repo } from '../support/daemon.js';

/** The `$ ` lines of the console blocks in a README section, each with its trailing comment. */
function tourLines(readme: string, heading: string): { line: string; comment: string }[] {
  const start = readme.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`README.md has no section "${heading}"`);
  const next = readme.indexOf('\n## ', start + heading.length + 2);
  const section = readme.slice(start, next < 0 ? undefined : next);
  const lines: { line: string; comment: string }[] = [];
  for (const block of section.matchAll(/```console\n([\s\S]*?)```/g)) {
    for (const raw of block[1]!.split('\n')) {
      if (!raw.startsWith('$ ')) continue;
      // A comment starts at a `#` after two spaces, as the README aligns them; `#` inside a command stays.
      const at = raw.search(/\s{2,}# /);
      lines.push(at < 0 ? { line: raw.slice(2).trim(), comment: '' } : { line: raw.slice(2, at).trim(), comment: raw.slice(at).replace(/^\s+# /, '') });
    }
  }
  return lines;
}

interface StepResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface Check {
  /** The README line this check is for (the first not yet checked line it matches). */
  line: RegExp;
  /** For a line stopped with Ctrl-C: what it must have printed first. */
  until?: RegExp;
  expect(r: StepResult): void | Promise<void>;
}

const home = realpathSync(mkdtempSync(join(tmpdir(), 'sidekick-tour-')));
const work = join(home, '.tour');
/** The shell state a line leaves for the next: its working directory and exported variables. */
const state = { cwd: repo, envFile: join(work, 'env.sh'), cwdFile: join(work, 'cwd') };

/** The environment of a new user: a fresh HOME, nothing of ours or of a model provider set. */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(SIDEKICK_|OPENAI_|ANTHROPIC_|CODEX_|CLAUDE_|OLLAMA_|GIT_|npm_|NODE_OPTIONS$|JEST_)/.test(k)) continue;
    env[k] = v;
  }
  // `npm test` puts node_modules/.bin (the real claude and codex CLIs) on PATH; a user's shell has
  // no such entry, and `sidekick init` must find no model here, so the demo agent runs.
  env.PATH = (process.env.PATH ?? '').split(delimiter).filter((p) => p && !p.includes('node_modules')).join(delimiter);
  env.HOME = home;
  return env;
}

/** Runs one README line in bash with the state the lines before it left; resolves when it ends. */
function step(line: string, stopWhen?: RegExp): Promise<StepResult> {
  const script = [`. '${state.envFile}'`, `cd '${state.cwd}'`, line, '__rc=$?', `pwd -P > '${state.cwdFile}'`, `export -p > '${state.envFile}'`, 'exit $__rc'].join('\n');
  const child = spawn('bash', ['-c', script], { cwd: state.cwd, env: userEnv(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let interrupted = false;
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    if (stopWhen && !interrupted && stopWhen.test(stdout)) {
      interrupted = true;
      // Ctrl-C reaches the whole foreground process group, as in a terminal.
      process.kill(-child.pid!, 'SIGINT');
    }
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  // A follow that never prints what it waits for is stopped all the same, so the failure shows its output.
  const deadline = stopWhen ? setTimeout(() => process.kill(-child.pid!, 'SIGINT'), 150_000) : undefined;
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(deadline);
      if (existsSync(state.cwdFile)) state.cwd = readFileSync(state.cwdFile, 'utf8').trim();
      resolve({ code, stdout, stderr });
    }),
  );
}

/** A helper command in the user's shell state (not a README line). */
function shell(command: string): string {
  return spawnSync('bash', ['-c', `. '${state.envFile}'; cd '${state.cwd}'; ${command}`], { env: userEnv(), encoding: 'utf8' }).stdout.trim();
}

const ok = (r: StepResult, out?: RegExp): void => {
  expect(r.code).toBe(0);
  if (out) expect(r.stdout).toMatch(out);
};

const checks: Check[] = [
  { line: /^export PATH="\$PWD\/bin:\$PATH"$/, expect: () => expect(shell('command -v sidekick')).toBe(join(repo, 'bin', 'sidekick')) },
  { line: /^sidekick daemon start\b/, expect: (r) => ok(r, new RegExp(`^✓ daemon started \\(home: ${home}/\\.sidekick, `)) },
  { line: /^npm run demo-repo$/, expect: (r) => ok(r, new RegExp(`✓ demo repository created at ${home}/sidekick-demo`)) },
  { line: /^sidekick apply -f examples\/hello\/$/, expect: (r) => ok(r, /^run\.sidekicks\.dev\/hello created$/m) },
  { line: /^sidekick logs run\/hello -f$/, expect: (r) => ok(r, /Completed/) },
  { line: /^sidekick get runs$/, expect: (r) => ok(r, /^hello\s+hello\s+scripted-helper\s+Completed\s/m) },
  { line: /^sidekick describe run hello$/, expect: (r) => ok(r, /^\s+Phase:\s+Completed$/m) },
  { line: /^sidekick timeline session\/hello$/, expect: (r) => ok(r, /session\.created/) },
  { line: /^sidekick artifact get hello-diff$/, expect: (r) => ok(r, /^diff --git a\/greeting\.txt b\/greeting\.txt$/m) },
  { line: /^sidekick delete run hello$/, expect: (r) => ok(r, /"hello" deleted \(branch sidekicks\/hello\/hello kept/) },
  { line: /^sidekick apply -f examples\/hello\/$/, expect: (r) => ok(r, /^run\.sidekicks\.dev\/hello created$/m) },
  {
    line: /^sidekick get runs -w$/,
    until: /^hello\s+hello\s+scripted-helper\s+Completed\s/m,
    expect: () => expect(shell(`sidekick get run hello -o jsonpath='{.status.workspace.branch}'`)).toBe('sidekicks/hello/hello-2'),
  },
  { line: /^sidekick apply -f examples\/steering\/$/, expect: (r) => ok(r, /^run\.sidekicks\.dev\/slow-survey created$/m) },
  { line: /^sidekick logs run\/slow-survey -f$/, until: /waiting for approval: sidekick approve slow-survey-\S+/, expect: () => undefined },
  { line: /^sidekick get approvals --pending$/, expect: (r) => ok(r, /^slow-survey-\S+\s+slow-survey\s+ToolExecution\s.*\sPending\s/m) },
  { line: /^sidekick wait run\/slow-survey --for=jsonpath='\{\.status\.phase\}'=Canceled$/, expect: (r) => ok(r, /condition met/) },
  { line: /^git clone -q ~\/sidekick-demo ~\/my-project && cd ~\/my-project$/, expect: (r) => (ok(r), expect(state.cwd).toBe(join(home, 'my-project'))) },
  { line: /^sidekick init$/, expect: (r) => ok(r, /^agent\.sidekicks\.dev\/\S+ created\s+\(Scripted demo agent/m) },
  { line: /^sidekick run "[^"]+" --name first$/, expect: (r) => ok(r, /Completed/) },
  {
    line: /^sidekick merge run\/first$/,
    expect: (r) => {
      ok(r, /^✓ merged run\/first /m);
      expect(shell('git log -1 --name-only --format=')).toContain('SIDEKICK_NOTES.md');
    },
  },
];

describe('the README tour, as written', () => {
  beforeAll(() => {
    spawnSync('mkdir', ['-p', work]);
    writeFileSync(state.envFile, '');
  });

  afterAll(() => {
    shell('sidekick daemon stop >/dev/null 2>&1');
    rmSync(home, { recursive: true, force: true });
  });

  it('runs every step of "A short tour" and "Start in the repository you are in" in order', async () => {
    const readme = readFileSync(join(repo, 'README.md'), 'utf8');
    const lines = [...tourLines(readme, '## A short tour'), ...tourLines(readme, '## Start in the repository you are in')];
    expect(lines.length).toBeGreaterThan(20);
    const pending = [...checks];
    for (const { line, comment } of lines) {
      const check = pending[0]?.line.test(line) ? pending.shift() : undefined;
      const follows = /Ctrl-C/.test(comment);
      if (follows && !check?.until) throw new Error(`README line "${line}" says Ctrl-C but no check says what it must print first`);
      // Where bubblewrap is missing (a user's machine; never CI), runs go unsandboxed, as the other e2e suites do.
      const command = /^sidekick daemon start$/.test(line) && e2eDefaultIsolation() === 'BestEffort' ? `${line} --default-isolation BestEffort` : line;
      const result = await step(command, follows ? check!.until : undefined);
      const context = `README line: $ ${line}\nexit ${result.code}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`;
      try {
        if (follows) expect(result.stdout).toMatch(check!.until!);
        else expect(result.code).toBe(0);
        await check?.expect(result);
      } catch (err) {
        throw new Error(`${context}\n\n${(err as Error).message}`);
      }
    }
    expect(pending.map((c) => String(c.line))).toEqual([]);
  }, 300_000);
});
