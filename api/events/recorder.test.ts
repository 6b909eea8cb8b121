/** EventRecorder: event shape, aggregation of repeats, and expiry by age. */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scheme } from '../../resources/index.js';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/store.js';
import { EventRecorder, type EventObject } from './recorder.js';

let dir: string;
let store: Store;
let now: Date;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sidekick-events-'));
  store = await openStore({ kind: 'sqlite', path: join(dir, 'db.sqlite') }, (plural) => {
    const def = scheme.byPlural(plural);
    return def && { plural, kind: def.kind, apiVersion: def.apiVersion, namespaced: def.namespaced, hasStatus: def.hasStatus };
  });
  now = new Date('2026-05-01T10:00:00Z');
});

afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

const run = { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Run', metadata: { name: 'r1', namespace: 'team', uid: 'u-1' } };

describe('EventRecorder', () => {
  it('writes Kubernetes-shaped events and aggregates repeats into count', async () => {
    const recorder = new EventRecorder({ store, component: 'run-controller', now: () => now, sweepIntervalMs: 0 });
    recorder.warning(run, 'WorktreeFailed', 'git worktree add failed');
    now = new Date('2026-05-01T10:05:00Z');
    recorder.warning(run, 'WorktreeFailed', 'git worktree add failed');
    recorder.normal(run, 'Started', 'driver started');
    await recorder.close();
    const { items } = await store.list<EventObject>('events', { namespace: 'team' });
    expect(items).toHaveLength(2);
    const failed = items.find((e) => e.reason === 'WorktreeFailed')!;
    expect(failed).toMatchObject({
      type: 'Warning',
      count: 2,
      message: 'git worktree add failed',
      involvedObject: { kind: 'Run', name: 'r1', namespace: 'team', uid: 'u-1' },
      firstTimestamp: '2026-05-01T10:00:00Z',
      lastTimestamp: '2026-05-01T10:05:00Z',
      source: { component: 'run-controller' },
    });
    expect(failed.metadata.name).toMatch(/^r1\.[0-9a-f]+$/);
  });

  it('sweeps events whose last occurrence is older than the TTL', async () => {
    const recorder = new EventRecorder({ store, component: 'c', now: () => now, ttlMs: 3600_000, sweepIntervalMs: 0 });
    recorder.normal(run, 'Old', 'old');
    await recorder.flush();
    now = new Date('2026-05-01T10:30:00Z');
    recorder.normal(run, 'Recent', 'recent');
    await recorder.flush();
    now = new Date('2026-05-01T11:10:00Z');
    expect(await recorder.sweep()).toBe(1);
    const { items } = await store.list<EventObject>('events', {});
    expect(items.map((e) => e.reason)).toEqual(['Recent']);
    await recorder.close();
  });
});
