/**
 * The Session reconciler: gives every session its `main` Channel (owned by the session), and
 * rebuilds status from the world — run counts from the runs that name it, the last journal
 * sequence from the journal. The first observation journals `session.created` in the same
 * transaction as the status that records it.
 */
import type { Store } from '../../api/store/store.js';
import { isReason } from '../../api/errors.js';
import { sessionKey, type Journal } from '../../api/journal/journal.js';
import type { Session } from '../../resources/kinds/session.js';
import type { Channel } from '../../resources/kinds/channel.js';
import type { Run } from '../../resources/kinds/run.js';
import { RunPhase } from '../../resources/kinds/run.js';
import { setCondition } from '../../resources/conditions.js';
import type { ObjectKey, Reconciler, Result } from '../runtime/controller.js';
import { createOrUpdate } from '../runtime/create-or-update.js';
import { StatusWriter, type StatusTarget } from '../runtime/status-writer.js';
import { isActivePhase } from '../run/phases.js';
import { queueAt } from '../run/admit.js';
import { waitingRuns } from '../../resources/run-queue.js';
import type { SessionQueue } from '../run/session-queue.js';
import { systemClock, type Clock } from '../runtime/clock.js';
import type { RunWriter } from '../run/run-writer.js';
import { NameLabel, nameLabels } from '../../resources/name-labels.js';

/** The object name of a session's main channel (channel names are per namespace). */
export function mainChannelName(session: string): string {
  return `${session}-main`;
}

/** How often the queue positions of a busy session are rewritten. */
const QUEUE_REFRESH_MS = 1000;
/** Positions up to here are always exact: these runs are next, and people watch them. */
const EXACT_FRONT = 10;

/**
 * Whether a stored queue position is off enough to rewrite. Near the front it must be exact;
 * further back it may lag by a fifth, so a run waiting at 400 is rewritten a dozen times on its
 * way to the front instead of at every hand-off (each rewrite is a write and a watch event for
 * every run behind: 500 waiting runs would otherwise cost more than the runs themselves).
 */
export function worthRewriting(stored: number | undefined, actual: number): boolean {
  if (stored === undefined || actual <= EXACT_FRONT) return stored !== actual;
  return Math.abs(stored - actual) >= Math.ceil(actual / 5);
}

/** A session's status and events: its own journal. */
const sessionStatus: StatusTarget<Session> = { plural: 'sessions', sessionOf: (s) => s.metadata.name };

export class SessionReconciler implements Reconciler {
  /** When each session's queue positions were last rewritten. */
  private readonly placedAt = new Map<string, number>();
  private readonly clock: Clock;
  private readonly status: StatusWriter;

  constructor(
    private readonly d: {
      store: Store;
      journal: Journal;
      writer?: RunWriter;
      /**
       * The session queues, as the runs informer has them. Status counts and queue positions follow
       * every run change, so reading them from the store would parse every run of the namespace
       * once per change; the cache is what controllers read, and a later change corrects a lag.
       * Without it, runs are listed from the store.
       */
      queue?: SessionQueue;
      /** Commits the status with its journal events (default: one over `store` and `journal`). */
      status?: StatusWriter;
      clock?: Clock;
    },
  ) {
    this.clock = d.clock ?? systemClock;
    this.status = d.status ?? new StatusWriter(d.store, d.journal);
  }

  async reconcile(key: ObjectKey): Promise<Result> {
    const session = await this.d.store.find<Session>('sessions', key.namespace, key.name);
    if (!session || session.metadata.deletionTimestamp) return {};
    await this.ensureMainChannel(session);
    return this.reportStatus(session);
  }

  private async ensureMainChannel(session: Session): Promise<void> {
    const name = mainChannelName(session.metadata.name!);
    await createOrUpdate(this.d.store, 'channels', {
      apiVersion: 'sidekicks.dev/v1alpha1',
      kind: 'Channel',
      metadata: {
        name,
        namespace: session.metadata.namespace,
        labels: nameLabels({ [NameLabel.Session]: session.metadata.name!, [NameLabel.Channel]: 'main' }),
        ownerReferences: [{ apiVersion: session.apiVersion, kind: 'Session', name: session.metadata.name!, uid: session.metadata.uid!, controller: true, blockOwnerDeletion: true }],
      },
      spec: { session: session.metadata.name!, turnPolicy: 'FreeForm', topic: session.spec.title ?? session.metadata.name! },
      status: { phase: 'Active', turn: 0, messages: 0 },
    });
  }

  /**
   * Rewrites the queue positions that changed: one pass per session change, so a run admitted
   * from the front of a long queue moves everyone behind it once, however many changes coalesced.
   * A run not yet observed is placed by its own admission (which journals run.Queued).
   */
  private async placeQueue(ns: string, name: string, queue: readonly Run[]): Promise<Result> {
    const writer = this.d.writer;
    if (!writer) return {};
    // A slot handed on moves every waiting run: with hundreds waiting, rewriting them all on each
    // hand-off would cost more than the runs. Positions are refreshed at most once a second.
    const key = `${ns}/${name}`;
    const wait = (this.placedAt.get(key) ?? -Infinity) + QUEUE_REFRESH_MS - this.clock.now();
    if (wait > 0) return { requeueAfterMs: wait };
    this.placedAt.set(key, this.clock.now());
    const stale = queue
      .map((run, i) => ({ run, position: i + 1 }))
      .filter(({ run, position }) => run.status?.phase === RunPhase.Queued && worthRewriting(run.status.queuePosition, position));
    // Concurrent writes share commits (the store's group commit).
    await Promise.all(stale.map(({ run, position }) => queueAt(writer, ns, run, position, { keepReason: true })));
    if (stale.length === 0) this.placedAt.delete(key);
    return {};
  }

  private async reportStatus(session: Session): Promise<Result> {
    const ns = session.metadata.namespace!;
    const name = session.metadata.name!;
    const counted = this.d.queue?.runsOf(ns, name);
    const runs = counted ? [...counted.runs.values()] : (await this.d.store.list<Run>('runs', { namespace: ns, fieldSelector: `spec.session=${name}` })).items;
    const journalKey = sessionKey(ns, name);
    const first = !session.status?.phase;
    const lastSequence = await this.d.journal.lastSequence(journalKey);
    const phase = session.spec.archived ? 'Archived' : 'Active';
    const status: NonNullable<Session['status']> = {
      ...session.status,
      phase,
      activeRuns: runs.filter((r) => isActivePhase(r.status?.phase)).length,
      queuedRuns: runs.filter((r) => (r.status?.phase ?? RunPhase.Queued) === RunPhase.Queued && !r.metadata.deletionTimestamp).length,
      lastSequence: first ? lastSequence + 1 : lastSequence,
      observedGeneration: session.metadata.generation,
      conditions: setCondition(session.status?.conditions, { type: 'Ready', status: 'True', reason: phase, message: `main channel ${mainChannelName(name)}` }, session.metadata.generation ?? 1),
    };
    const placeAgain = await this.placeQueue(ns, name, counted ? counted.queue : waitingRuns(runs));
    if (JSON.stringify(status) === JSON.stringify(session.status)) return placeAgain;
    try {
      // The session's journal opens with session.created, written with its first status.
      await this.status.commit(sessionStatus, ns, name, (draft) => {
        draft.status = status;
        return first ? [{ type: 'session.created', actor: { kind: 'controller', name: 'session-controller' }, payload: { title: session.spec.title ?? name } }] : [];
      }, { planned: session });
    } catch (err) {
      if (isReason(err, 'Conflict')) return { requeueAfterMs: 0 };
      throw err;
    }
    return placeAgain;
  }
}
