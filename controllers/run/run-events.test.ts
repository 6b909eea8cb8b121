/**
 * No driver event is dropped silently because of the phase it arrives in: a completion while the
 * run waits on an approval completes it; one while the run is paused is journalled as not applied.
 * The real SQLite store and journal; the workspace, artifacts and launcher are fakes (a Scratch run).
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal, JOURNAL_MIGRATIONS, sessionKey } from '../../api/journal/journal.js';
import { openStore } from '../../api/store/open-store.js';
import { schemeResolver } from '../../api/store/scheme-resolver.js';
import type { ObjectStore } from '../../api/store/object-store.js';
import { scheme } from '../../resources/index.js';
import type { Run } from '../../resources/kinds/run.js';
import { CHECKPOINT_MIGRATIONS, CheckpointStore } from './checkpoints.js';
import type { FleetEntry } from '../../node/fleet.js';
import type { ArtifactContent, DriverLauncher, Workspaces } from '../../node/ports.js';
import { RunEvents } from './run-events.js';
import { RunWriter } from './run-writer.js';
import { StatusWriter } from '../runtime/status-writer.js';

let dir: string | undefined;
let store: ObjectStore | undefined;
afterEach(async () => {
  await store?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function setup(): Promise<{ events: RunEvents; journal: Journal; store: ObjectStore }> {
  dir = mkdtempSync(join(tmpdir(), 'sk-run-events-'));
  store = await openStore({ kind: 'sqlite', path: join(dir, 'db') }, schemeResolver(scheme), { migrations: [JOURNAL_MIGRATIONS, CHECKPOINT_MIGRATIONS] });
  const journal = new Journal(store);
  const workspaces = { retire: async () => ({ retired: false }) } as unknown as Workspaces;
  const events = new RunEvents({
    store,
    writer: new RunWriter(new StatusWriter(store, journal)),
    launcher: {} as DriverLauncher,
    checkpoints: new CheckpointStore(store),
    workspaces,
    artifacts: {} as ArtifactContent,
    session: () => ({ runs: [] }),
  });
  return { events, journal, store };
}

/** A run already in `phase` (as the controllers would have left it). */
async function runIn(s: ObjectStore, name: string, phase: string, extra: Record<string, unknown> = {}): Promise<Run> {
  const created = await s.create<Run>('runs', { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Run', metadata: { name, namespace: 'default' }, spec: { session: 's', agent: 'a', prompt: 'go' } } as Run);
  return s.updateStatus<Run>('runs', { ...created, status: { phase, workspace: { path: '/scratch' }, ...extra } } as Run);
}

const entry = { stopping: false, lastOutputAt: 0 } as unknown as FleetEntry;
const limits = { budget: {}, maxTurns: 50 } as never;

describe('RunEvents: a completion in any phase', () => {
  it('completes a run that waits on an approval, resetting its count', async () => {
    const { events, journal, store: s } = await setup();
    const run = await runIn(s, 'waiting', 'WaitingForApproval', { pendingApprovals: 1 });
    events.track(run, limits);
    await events.handle(run.metadata.uid!, { type: 'run.completed', summary: 'done' }, entry);
    const after = await s.get<Run>('runs', 'default', 'waiting');
    expect([after.status?.phase, after.status?.pendingApprovals, after.status?.summary]).toEqual(['Completed', undefined, 'done']);
    const types = (await journal.read(sessionKey('default', 's'), { run: 'waiting' })).events.map((e) => e.type);
    expect(types).toEqual(['run.Completed']);
  });

  it('journals a completion that arrives while the run is paused, with the reason, and leaves the run paused', async () => {
    const { events, journal, store: s } = await setup();
    const run = await runIn(s, 'paused', 'Paused');
    events.track(run, limits);
    await events.handle(run.metadata.uid!, { type: 'run.completed', summary: 'done' }, entry);
    expect((await s.get<Run>('runs', 'default', 'paused')).status?.phase).toBe('Paused');
    const journalled = (await journal.read(sessionKey('default', 's'), { run: 'paused' })).events;
    expect(journalled.map((e) => [e.type, e.payload])).toEqual([['driver.event_ignored', { event: 'run.completed', reason: 'the run is Paused' }]]);
  });

  it('journals a failure that arrives after the run ended', async () => {
    const { events, journal, store: s } = await setup();
    const run = await runIn(s, 'ended', 'Completed');
    events.track(run, limits);
    await events.handle(run.metadata.uid!, { type: 'run.failed', category: 'Provider', reason: 'Boom', message: 'late' }, entry);
    expect((await s.get<Run>('runs', 'default', 'ended')).status?.phase).toBe('Completed');
    const journalled = (await journal.read(sessionKey('default', 's'), { run: 'ended' })).events;
    expect(journalled.map((e) => [e.type, e.payload])).toEqual([['driver.event_ignored', { event: 'run.failed', reason: 'the run had already ended Completed' }]]);
  });
});
