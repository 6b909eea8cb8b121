/**
 * The journal verbs (logs, timeline, timeline verify, replay, artifact get) against a real daemon
 * with controllers: the hello example runs a Scripted agent in a real git worktree, then the CLI
 * reads what the journal recorded.
 */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { parseAllDocuments, stringify } from 'yaml';
import type { DaemonHandle } from '../daemon/compose.js';
import { runCli, startCli, type CliResult, type RunningCli } from '../../test/support/cli.js';
import { tempDaemon } from '../../test/support/daemon.js';
import { eventually } from '../../test/eventually.js';
import { parseTable } from '../../test/support/cli-harness.js';
import type { JournalEvent } from '../../api/journal/event.js';
import { demoRepo } from '../../test/e2e/support.js';
import { repo } from '../../test/support/daemon.js';

const KIND_ORDER = ['Session', 'Agent', 'RepoMount', 'Run'];

/** The hello example's manifests as one YAML stream, with the RepoMount pointed at `demo`. */
function helloManifests(demo: string): string {
  const dir = join(repo, 'examples', 'hello');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) => parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => d.toJSON() as Record<string, any>))
    .map((o) => (o.kind === 'RepoMount' ? { ...o, spec: { ...o.spec, path: demo } } : o))
    // The session first, as a user would create it: its journal then starts with session.created.
    .sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind))
    .map((o) => stringify(o))
    .join('---\n');
}

let home: string;
let daemon: DaemonHandle;
let stopDaemon: (() => Promise<void>) | undefined;

const start = (argv: string[], opts: { stdin?: string; signal?: AbortSignal } = {}): RunningCli => startCli(home, argv, opts);
const sk = (argv: string[], opts: { stdin?: string } = {}): Promise<CliResult> => runCli(home, argv, opts);

let followed: CliResult;

beforeAll(async () => {
  ({ home, daemon, stop: stopDaemon } = await tempDaemon({ prefix: 'sidekick-journal-cli-' }));
  const applied = await sk(['apply', '-f', '-'], { stdin: helloManifests(demoRepo(home)) });
  expect(applied).toMatchObject({ code: 0 });
  // Started before the run finishes: follows live (or from the backlog) and must end by itself.
  const follow = start(['logs', 'run/hello', '-f']).done;
  const waited = await sk(['wait', 'run/hello', '--for=jsonpath={.status.phase}=Completed', '--timeout=60s']);
  expect(waited).toMatchObject({ code: 0 });
  followed = await follow;
}, 90_000);

afterAll(async () => {
  await stopDaemon?.();
});

async function timelineEvents(): Promise<JournalEvent[]> {
  const res = await sk(['timeline', 'session/hello', '-o', 'json']);
  expect(res.code).toBe(0);
  return res.stdout.trim().split('\n').map((l) => JSON.parse(l) as JournalEvent);
}

describe('sidekick logs', () => {
  it("prints the run's conversation and the final Completed line", async () => {
    const res = await sk(['logs', 'run/hello']);
    expect(res).toMatchObject({ code: 0, stderr: '' });
    const lines = res.stdout.trimEnd().split('\n');
    expect(lines).toContain("[assistant] I'll read the greeting first.");
    expect(lines).toContain('[assistant] The greeting now says "Hello, Sidekicks" and the test passes.');
    expect(lines).toContain('[thinking] The greeting should name the project.');
    expect(lines).toContain('[tool] EditFile greeting.txt');
    expect(lines).toContain('[tool] RunCommand sh test.sh');
    expect(lines.some((l) => /^\[tool\] RunCommand sh test\.sh → exit 0 \(\d+\.\ds\)$/.test(l))).toBe(true);
    expect(lines).toContain('    test passed');
    expect(lines[lines.length - 1]).toMatch(/^\[run\] Completed: 2 files changed, \+\d+ -\d+ · branch sidekicks\/hello\/hello$/);
    // Order: the first message comes before the first tool call, the Completed line last.
    expect(lines.indexOf("[assistant] I'll read the greeting first.")).toBeLessThan(lines.indexOf('[tool] EditFile greeting.txt'));
    // Plain text when stdout is not a terminal.
    expect(res.stdout).not.toContain('\u001b[');
  });

  it('follows with -f and exits after the terminal event', async () => {
    expect(followed.code).toBe(0);
    expect(followed.stdout).toBe((await sk(['logs', 'hello'])).stdout);
    const again = await sk(['logs', 'run/hello', '-f']);
    expect(again.code).toBe(0);
    expect(again.stdout.trimEnd().split('\n').pop()).toMatch(/^\[run\] Completed/);
  });

  it('reports a missing run as NotFound', async () => {
    const res = await sk(['logs', 'run/nope']);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^Error from server \(NotFound\): .*"nope" not found/);
  });
});

describe('sidekick get runs -o wide', () => {
  it('shows TOKENS as input plus output tokens (the scripted agent reports 1200 in, 180 out)', async () => {
    const usage = JSON.parse((await sk(['get', 'run', 'hello', '-o', 'jsonpath={.status.usage}'])).stdout) as Record<string, number>;
    expect(usage).toMatchObject({ inputTokens: 1200, outputTokens: 180, totalTokens: 1380 });
    const res = await sk(['get', 'runs', '-o', 'wide']);
    expect(res.code).toBe(0);
    expect(parseTable(res.stdout).find((r) => r.NAME === 'hello')).toMatchObject({ TOKENS: String(usage.inputTokens + usage.outputTokens) });
  });
});

describe('sidekick timeline', () => {
  it('lists every event from #1 session.created without gaps', async () => {
    const res = await sk(['timeline', 'session/hello']);
    expect(res.code).toBe(0);
    const lines = res.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^#1\s+(?:\d{4}-\d\d-\d\d )?\d\d:\d\d:\d\d\s+\d+(s|m\d*s?)\s+session\.created\s+\S+\/\S+/);
    const sequences = lines.map((l) => Number(/^#(\d+)\s/.exec(l)?.[1]));
    expect(sequences).toEqual(sequences.map((_, i) => i + 1));
    // Each line carries its event's local time (HH:MM:SS, dated when not today: the patterns allow
    // a date, so a run that crosses midnight still passes) and its age.
    const events = await timelineEvents();
    const localTime = (e: JournalEvent) => new Date(e.time).toTimeString().slice(0, 8);
    expect(lines.map((l) => /^#\d+\s+(?:\d{4}-\d\d-\d\d )?(\d\d:\d\d:\d\d)\s/.exec(l)?.[1])).toEqual(events.map(localTime));
    expect(lines.every((l) => /^#\d+\s+(?:\d{4}-\d\d-\d\d )?\S+\s+\d+[smh]\S*\s/.test(l))).toBe(true);
    // Columns line up: the time, age and type columns start at the same offsets on every line.
    const timeAt = new Set(lines.map((l) => l.search(/(?<=^#\d+\s+)\S/)));
    expect(timeAt.size).toBe(1);
    const typeAt = new Set(lines.map((l) => l.search(/(?<=^#\d+\s+(?:\d{4}-\d\d-\d\d )?\S+\s+\S+\s+)\S/)));
    expect(typeAt.size).toBe(1);
    // ... and so does the summary column, whatever the actor's length.
    const summaryAt = lines[0].indexOf('title=');
    expect(summaryAt).toBeGreaterThan(0);
    for (const l of lines) expect(l.slice(summaryAt - 2, summaryAt + 1)).toMatch(/^  \S$/);
    expect(lines.find((l) => /\stool\.invoked\s/.test(l))).toMatch(/agent\/scripted-helper\s+ReadFile greeting\.txt$/);
  });

  it('prints one JSON event per line with -o json, and filters by type and run', async () => {
    const events = await timelineEvents();
    expect(events[0]).toMatchObject({ sequence: 1, type: 'session.created' });
    expect(events.map((e) => e.sequence)).toEqual(events.map((_, i) => i + 1));
    expect(events.some((e) => e.type === 'run.Completed' && e.run === 'hello')).toBe(true);

    const tools = await sk(['timeline', 'session/hello', '--type', 'tool.invoked', '--run', 'hello', '-o', 'json']);
    const parsed = tools.stdout.trim().split('\n').map((l) => JSON.parse(l) as JournalEvent);
    expect(parsed.map((e) => (e.payload.tool as string))).toEqual(['ReadFile', 'EditFile', 'WriteFile', 'RunCommand']);

    const after = await sk(['timeline', 'session/hello', '--after', String(events.length - 2), '-o', 'json']);
    expect(after.stdout.trim().split('\n').map((l) => (JSON.parse(l) as JournalEvent).sequence)).toEqual([events.length - 1, events.length]);
  });

  it('follows with -f until aborted', async () => {
    const events = await timelineEvents();
    const ctl = new AbortController();
    const follow = start(['timeline', 'session/hello', '-f'], { signal: ctl.signal });
    await eventually(() => follow.output().includes(`#${events.length} `));
    ctl.abort();
    const res = await follow.done;
    expect(res.code).toBe(0);
    expect(res.stdout.trimEnd().split('\n')).toHaveLength(events.length);
  });

  it('rejects an unknown output format', async () => {
    const res = await sk(['timeline', 'session/hello', '-o', 'yaml']);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^error: .*yaml/);
  });
});

describe('sidekick replay', () => {
  it('re-renders the session run by run and verifies the chain', async () => {
    const events = await timelineEvents();
    const res = await sk(['replay', 'session/hello']);
    expect(res).toMatchObject({ code: 0, stderr: '' });
    const lines = res.stdout.trimEnd().split('\n');
    const heading = lines.indexOf('── run/hello (scripted-helper) ──');
    expect(heading).toBeGreaterThan(0);
    expect(lines[0]).toMatch(/^\[session\] session\.created/);
    // The run's part is exactly what `logs` prints.
    const logs = (await sk(['logs', 'run/hello'])).stdout.trimEnd().split('\n');
    expect(lines.slice(heading + 1, heading + 1 + logs.length)).toEqual(logs);
    expect(lines[lines.length - 1]).toBe(`${events.length} events, 1 run, chain verified`);
  });
});

describe('sidekick artifact get', () => {
  it('prints the diff, or writes it to a file', async () => {
    const res = await sk(['artifact', 'get', 'hello-diff']);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('+Hello, Sidekicks');
    expect(res.stdout).toContain('-Hello, world');

    const saved = await sk(['artifact', 'get', 'hello-diff', '-o', 'hello.patch']);
    expect(saved).toMatchObject({ code: 0, stdout: '' });
    expect(readFileSync(join(home, 'hello.patch'), 'utf8')).toBe(res.stdout);
    expect(readdirSync(home).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('fails clearly on a missing artifact', async () => {
    const res = await sk(['artifact', 'get', 'nope']);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^Error from server \(NotFound\): .*"nope" not found/);
  });
});

describe('sidekick timeline verify', () => {
  it('verifies the chain, then names the sequence of a tampered event', async () => {
    const events = await timelineEvents();
    const ok = await sk(['timeline', 'verify', 'session/hello']);
    expect(ok).toMatchObject({ code: 0, stdout: `session default/hello: chain verified (${events.length} events)\n` });

    // The EditFile call carries "Hello, Sidekicks" in its input.
    const target = events.find((e) => e.type === 'tool.invoked' && JSON.stringify(e.payload).includes('Hello'))!;
    expect(target).toBeDefined();
    const db = new Database(daemon.paths.database);
    try {
      const changed = db.prepare("UPDATE sk_journal SET event = replace(event, 'Hello', 'Jello') WHERE session = 'default/hello' AND sequence = ?").run(target.sequence);
      expect(changed.changes).toBe(1);
    } finally {
      db.close();
    }
    const broken = await sk(['timeline', 'verify', 'session/hello']);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toBe(`session default/hello: chain broken at #${target.sequence}: hash mismatch (${target.sequence - 1} event${target.sequence === 2 ? '' : 's'} verified before it)\n`);

    const replay = await sk(['replay', 'session/hello']);
    expect(replay.code).toBe(1);
    expect(replay.stdout.trimEnd().split('\n').pop()).toBe(`${events.length} events, 1 run, chain broken at #${target.sequence}: hash mismatch`);
  });
});
