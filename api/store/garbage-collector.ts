/**
 * ownerReferences garbage collection, built into the store so it completes without an external
 * controller. It runs after commits, in the background of the write that triggered it:
 * - an owner removed → each dependent whose owners are all gone is deleted (Background); one
 *   with a live owner left only loses the dead reference;
 * - an owner marked with the `foregroundDeletion` finalizer → its dependents are deleted
 *   (Foreground, recursively); when none remain, the finalizer goes and the owner with it;
 * - at open, a sweep finishes what a crash interrupted (dangling owners, pending foreground).
 * Orphan deletion needs no pass: the owner's delete strips the references in its transaction.
 */
import { isReason, StatusReason } from '../errors.js';
import type { KubeObject } from '../../resources/meta.js';
import type { BackendReader, ObjectKey, StoreBackend } from './backend.js';
import { cloneObject, ownerUids } from './object-meta.js';
import type { PropagationPolicy } from './store.js';
import { FOREGROUND_FINALIZER, type Plan, type PlannedWrite } from './write-plans.js';

/** What the collector needs from the store that owns it. */
export interface GcHost {
  readonly backend: StoreBackend;
  /** Deletes one object with the given propagation (NotFound is ignored by the caller). */
  deleteKey(key: ObjectKey, policy: PropagationPolicy): Promise<void>;
  /**
   * Runs a plan in a write transaction (its own post-commit GC included). `plan` may run more than
   * once (the store replays a transaction whose deferred write failed): it reads and returns.
   */
  write(plan: (r: BackendReader) => Promise<Plan>): Promise<Plan>;
}

const NOOP_RESULT = { apiVersion: '', kind: '', metadata: {} } as KubeObject;

/** Runs garbage collection tasks in the background and lets close() wait for them. */
export class GarbageCollector {
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly host: GcHost, private readonly onError: (err: unknown) => void) {}

  /** Schedules the follow-up work of a committed plan. */
  afterCommit(plan: Plan): void {
    for (const w of plan.writes) if (w.op === 'remove') this.schedule(() => this.onRemoved(w.obj));
    if (plan.foregroundUid) {
      const uid = plan.foregroundUid;
      this.schedule(() => this.foreground(uid));
    }
  }

  /** Schedules the open-time sweep: dependents of vanished owners, unfinished foreground deletions. */
  sweep(): void {
    this.schedule(async () => {
      const backend = this.host.backend;
      for (const uid of await backend.danglingOwnerUids()) {
        const deps = await backend.read((r) => r.dependentsOf(uid));
        for (const d of deps) await this.collectDependent(d, uid);
      }
      const waiting = await backend.read((r) => r.findByFinalizer(FOREGROUND_FINALIZER));
      for (const o of waiting) await this.foreground(o.uid);
    });
  }

  /** Resolves when no collection work is pending (tasks may schedule more; waits for those too). */
  async drain(): Promise<void> {
    while (this.pending.size) await Promise.all([...this.pending]);
  }

  private schedule(task: () => Promise<void>): void {
    const p: Promise<void> = task()
      .catch((err) => this.onError(err))
      .finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  private async onRemoved(obj: KubeObject): Promise<void> {
    const uid = obj.metadata.uid as string;
    const deps = await this.host.backend.read((r) => r.dependentsOf(uid));
    for (const d of deps) await this.collectDependent(d, uid);
    for (const owner of ownerUids(obj)) await this.finishForeground(owner);
  }

  /** Deletes a dependent of a removed owner, or just drops the dead reference if another owner lives. */
  private async collectDependent(key: ObjectKey, deadUid: string): Promise<void> {
    let orphanOnly = false;
    await this.host.write(async (r) => {
      // A plan may run more than once (the store replays a transaction whose deferred write failed).
      orphanOnly = false;
      const stored = await r.getObject(key);
      if (!stored) return noop();
      const obj = JSON.parse(stored.json) as KubeObject;
      const refs = obj.metadata.ownerReferences ?? [];
      if (!refs.some((o) => o.uid === deadUid)) return noop();
      let live = false;
      for (const o of refs) if (o.uid !== deadUid && (await r.getByUid(o.uid))) live = true;
      if (!live) return noop();
      orphanOnly = true;
      const next = cloneObject(obj);
      next.metadata.ownerReferences = refs.filter((o) => o.uid !== deadUid);
      return {
        writes: [{ key, op: 'put', type: 'MODIFIED', obj: next, prev: { json: stored.json, obj } }] satisfies PlannedWrite[],
        result: next,
        removed: false,
      };
    });
    if (!orphanOnly) await this.quietly(this.host.deleteKey(key, 'Background'));
  }

  /** Deletes an owner's dependents first, then lets the owner go. */
  private async foreground(ownerUid: string): Promise<void> {
    const deps = await this.host.backend.read((r) => r.dependentsOf(ownerUid));
    for (const d of deps) await this.quietly(this.host.deleteKey(d, 'Foreground'));
    await this.finishForeground(ownerUid);
  }

  /** Removes the foregroundDeletion finalizer once no dependents remain (removing the owner if it was the last). */
  private async finishForeground(ownerUid: string): Promise<void> {
    await this.host.write(async (r) => {
      const stored = await r.getByUid(ownerUid);
      if (!stored) return noop();
      const obj = JSON.parse(stored.json) as KubeObject;
      const finalizers = obj.metadata.finalizers ?? [];
      if (!obj.metadata.deletionTimestamp || !finalizers.includes(FOREGROUND_FINALIZER)) return noop();
      if ((await r.dependentsOf(ownerUid)).length > 0) return noop();
      const next = cloneObject(obj);
      next.metadata.finalizers = finalizers.filter((f) => f !== FOREGROUND_FINALIZER);
      const key = { plural: stored.plural, namespace: stored.namespace, name: stored.name };
      const prev = { json: stored.json, obj };
      if (next.metadata.finalizers.length === 0) {
        delete next.metadata.finalizers;
        return { writes: [{ key, op: 'remove', type: 'DELETED', obj: next, prev }], result: next, removed: true };
      }
      return { writes: [{ key, op: 'put', type: 'MODIFIED', obj: next, prev }], result: next, removed: false };
    });
  }

  private async quietly(p: Promise<void>): Promise<void> {
    try {
      await p;
    } catch (err) {
      if (!isReason(err, StatusReason.NotFound)) throw err;
    }
  }
}

function noop(): Plan {
  return { writes: [], result: NOOP_RESULT, removed: false };
}
