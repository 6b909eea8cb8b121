/**
 * The limits a new Run is checked against before it is stored (DOMAIN.md, Runs), like
 * kube-apiserver's ResourceQuota admission: they depend on other objects, so they are checked
 * against the session's runs, one create per session at a time, and a refusal is a 403 naming the
 * limit. The rules themselves are the session queue's (resources/run-queue.ts).
 *
 * - Queue: a session holds at most `maxActiveRuns + maxQueuedRuns` unfinished runs; one more would
 *   have to wait beyond `maxQueuedRuns`, so its create is refused.
 * - Delegation: a child run (`spec.parent`) names a run of the same session that has not ended and
 *   is not itself a child (one level deep), and a parent has at most three children.
 *
 * The session's runs come from a counted index (RunLimits), not a list per create: listing them
 * parsed every run of the namespace once per create, so 500 creates at once waited on each
 * other's scans. The index is filled by one list and kept by a watch (every writer's changes, so
 * it is right after a restart and beside other writers) plus this service's own creates (so the
 * next create in the session sees the last at once, before its watch event). A refusal is only
 * ever made on the store's word: the index may lag a run's end by a watch event, so the session's
 * runs are read from the store before a create is refused.
 */
import type { KubeObject } from '../../resources/meta.js';
import type { Run } from '../../resources/kinds/run.js';
import { sessionLimits, type Session } from '../../resources/kinds/session.js';
import { isUnfinished, parentRefusal, queueRefusal } from '../../resources/run-queue.js';
import { SessionRunIndex, type SessionRuns } from '../../resources/session-runs.js';
import { ApiError, StatusReason } from '../errors.js';
import type { Store } from '../store/store.js';

export { MAX_CHILD_RUNS } from '../../resources/run-queue.js';

function forbidden(run: Run, why: string): ApiError {
  return new ApiError(StatusReason.Forbidden, `runs "${run.metadata.name ?? run.metadata.generateName ?? ''}" is forbidden: ${why}`, {
    name: run.metadata.name,
    kind: 'runs',
    group: 'sidekicks.dev',
  });
}

/** The key that serializes creates whose limits depend on each other: one session. */
export function runLimitsKey(obj: KubeObject): string {
  const spec = (obj as Run).spec;
  return `${obj.metadata.namespace ?? ''}/${typeof spec?.session === 'string' ? spec.session : ''}`;
}

/** Why storing `run` would break its session's queue limit or the delegation rules, or undefined. */
function refusal(run: Run, session: Session | undefined, runs: Pick<SessionRuns, 'unfinished' | 'children' | 'runs'>): string | undefined {
  const full = queueRefusal(run.spec.session, sessionLimits(session), runs.unfinished);
  if (full) return full;
  if (run.spec.parent === undefined) return undefined;
  const parent = runs.runs.get(run.spec.parent);
  return parentRefusal(run, parent && !parent.metadata.deletionTimestamp ? parent : undefined, runs.children(run.spec.parent));
}

/** Counts a session's runs as stored now (the authoritative, O(runs) read). */
async function storedRuns(store: Store, namespace: string, session: string): Promise<Pick<SessionRuns, 'unfinished' | 'children' | 'runs'>> {
  const items = (await store.list<Run>('runs', { namespace, fieldSelector: `spec.session=${session}` })).items;
  const live = items.filter((r) => !r.metadata.deletionTimestamp);
  return {
    unfinished: live.filter(isUnfinished).length,
    children: (parent) => live.filter((r) => r.spec.parent === parent).length,
    runs: new Map(live.map((r) => [r.metadata.name!, r])),
  };
}

/** Places held in a session by creates that were admitted and are being stored. */
interface Held {
  unfinished: number;
  children: Map<string, number>;
  /** Settles as each create under way is stored or fails. */
  landed: Set<Promise<void>>;
}

/** A session's counts plus the places held by creates under way. */
function withHeld(runs: Pick<SessionRuns, 'unfinished' | 'children' | 'runs'>, held: Held): Pick<SessionRuns, 'unfinished' | 'children' | 'runs'> {
  return { runs: runs.runs, unfinished: runs.unfinished + held.unfinished, children: (parent) => runs.children(parent) + (held.children.get(parent) ?? 0) };
}

/**
 * The run-create check over a counted index of every session's runs, started by the first check
 * and kept until `signal` aborts.
 */
export class RunLimits {
  private readonly index = new SessionRunIndex();
  /** Places held by admitted creates not yet stored, per session. */
  private readonly pending = new Map<string, Held>();
  private ready: Promise<void> | undefined;

  constructor(
    private readonly store: Store,
    private readonly signal: AbortSignal = new AbortController().signal,
  ) {}

  /**
   * Throws 403 Forbidden when storing `run` would break its session's limits; otherwise holds a
   * place for it until `release` is called (after the create is stored, and `created` told, or
   * failed). Checks of one session must not overlap (the service serializes them); the creates
   * they admit may (their commits are grouped), as each counts the places held before it.
   */
  async admit(run: Run): Promise<() => void> {
    await (this.ready ??= this.start());
    const namespace = run.metadata.namespace ?? '';
    const session = await this.store.find<Session>('sessions', namespace, run.spec.session);
    const held = this.held(namespace, run.spec.session);
    const counted = this.index.session(namespace, run.spec.session);
    if (refusal(run, session, withHeld(counted, held))) {
      // Refused on the store's word only: once the creates under way have landed (no new ones
      // start, checks being one at a time), the stored runs are all there is.
      await Promise.all(held.landed);
      const why = refusal(run, session, await storedRuns(this.store, namespace, run.spec.session));
      if (why) throw forbidden(run, why);
    }
    held.unfinished += 1;
    if (run.spec.parent !== undefined) held.children.set(run.spec.parent, (held.children.get(run.spec.parent) ?? 0) + 1);
    let land!: () => void;
    const landed = new Promise<void>((resolve) => (land = resolve));
    held.landed.add(landed);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      held.unfinished -= 1;
      if (run.spec.parent !== undefined) held.children.set(run.spec.parent, held.children.get(run.spec.parent)! - 1);
      held.landed.delete(landed);
      land();
    };
  }

  /** Throws 403 Forbidden when storing `run` would break its session's limits (holds no place). */
  async check(run: Run): Promise<void> {
    (await this.admit(run))();
  }

  /** Records a run this service just stored, before its watch event arrives. */
  created(run: Run): void {
    if (this.ready) this.index.upsert(run);
  }

  /** The places held by creates under way in a session. */
  private held(namespace: string, session: string): Held {
    const key = `${namespace}/${session}`;
    let held = this.pending.get(key);
    if (!held) this.pending.set(key, (held = { unfinished: 0, children: new Map(), landed: new Set() }));
    return held;
  }

  /** Fills the index; a failed list is tried again by the next check. */
  private start(): Promise<void> {
    const started = this.follow();
    started.catch(() => {
      if (this.ready === started) this.ready = undefined;
    });
    return started;
  }

  /** Lists every run once, then follows the watch from there. */
  private async follow(): Promise<void> {
    const list = await this.store.list<Run>('runs');
    this.index.reset(list.items);
    void this.watch(list.resourceVersion);
  }

  private async watch(rv: string): Promise<void> {
    try {
      for await (const ev of this.store.watch<Run>('runs', { resourceVersion: rv }, this.signal)) {
        if (ev.type === 'ERROR') break;
        if (ev.type === 'BOOKMARK') continue;
        if (ev.type === 'DELETED') this.index.remove(ev.object);
        else this.index.upsert(ev.object);
      }
    } catch {
      // Expired, Gone, a dropped stream: relist below.
    }
    // The next check relists (and waits for it).
    this.ready = undefined;
  }
}
