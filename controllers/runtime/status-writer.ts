/**
 * The one way a controller commits an object's status together with the journal events that
 * record the change: in one store transaction, so a state change is stored with its event or not
 * at all. The mutation runs on a fresh copy; a write that loses an optimistic-concurrency race
 * re-reads and re-applies it. Writes of one object are serialized in this process (a driver's
 * event pump and a reconciler may both write the same Run).
 */
import { isReason } from '../../api/errors.js';
import { sessionKey, type Journal } from '../../api/journal/journal.js';
import type { JournalEventInput } from '../../api/journal/event.js';
import { KeyedLock } from '../../api/keyed-lock.js';
import type { Store } from '../../api/store/store.js';
import type { KubeObject } from '../../resources/meta.js';

/**
 * Changes a fresh copy of the object's status in place and returns the events to journal with it
 * (`[]` for a status change without events), or null for "nothing to write".
 */
export type StatusMutation<T> = (draft: T) => JournalEventInput[] | null;

export interface StatusTarget<T extends KubeObject> {
  plural: string;
  /** The session whose journal receives the events; undefined writes the status alone. */
  sessionOf(obj: T): string | undefined;
  /** Stamps `status.observedGeneration` from the object's generation (default true). */
  observeGeneration?: boolean;
  /** Fields every event of this object carries (e.g. `run`), under the event's own. */
  eventDefaults?(obj: T): Partial<JournalEventInput>;
}

/** How a commit reads the object it changes. */
export interface CommitOptions<T extends KubeObject> {
  /**
   * The copy the caller planned the change from (a reconciler's pass). The mutation is applied to
   * it instead of a fresh read, and a write that loses a race throws the store's Conflict instead
   * of re-applying: the plan is stale, and the controller's next pass plans again.
   */
  planned?: T;
}

const CONFLICT_RETRIES = 8;

export class StatusWriter {
  private readonly lock = new KeyedLock();

  constructor(
    readonly store: Store,
    readonly journal: Journal,
  ) {}

  /**
   * Applies `mutate` to the stored object (or to `opts.planned`) and commits status + events;
   * resolves the written object, the object as it is when the mutation wrote nothing, or undefined
   * when it is gone.
   */
  commit<T extends KubeObject>(target: StatusTarget<T>, namespace: string, name: string, mutate: StatusMutation<T>, opts: CommitOptions<T> = {}): Promise<T | undefined> {
    return this.lock.run(`${target.plural}/${namespace}/${name}`, () => this.commitNow(target, namespace, name, mutate, opts.planned));
  }

  private async commitNow<T extends KubeObject>(target: StatusTarget<T>, namespace: string, name: string, mutate: StatusMutation<T>, planned?: T): Promise<T | undefined> {
    for (let attempt = 0; ; attempt++) {
      const current = planned ?? (await this.store.find<T>(target.plural, namespace, name));
      if (!current) return undefined;
      const draft = structuredClone(current) as T & { status?: Record<string, unknown> };
      draft.status ??= {};
      const events = mutate(draft);
      if (events === null) return current;
      if (target.observeGeneration !== false) draft.status.observedGeneration = current.metadata.generation;
      const session = target.sessionOf(current);
      const defaults = target.eventDefaults?.(current) ?? {};
      try {
        return await this.store.updateStatus<T>(target.plural, draft, {
          extraWrites: async (tx) => {
            if (session && events.length) await this.journal.append(sessionKey(namespace, session), events.map((e) => ({ ...defaults, ...e })), tx);
          },
        });
      } catch (err) {
        if (isReason(err, 'Conflict') && !planned && attempt < CONFLICT_RETRIES) continue;
        if (isReason(err, 'NotFound')) return undefined;
        throw err;
      }
    }
  }
}
