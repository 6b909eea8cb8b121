/**
 * How the control plane applies one node message to its store, exactly once. Journal: a row per
 * (node, session) holds the last node sequence applied, written in the same transaction as the
 * control plane's append, so a redelivery changes nothing and a message that arrives before its
 * predecessor waits (the node's order is kept). Objects: a row per (node, plural, namespace, name)
 * holds the last local resourceVersion applied, written with the object (extraWrites); an older
 * or equal one is skipped.
 */
import type { KubeObject } from '../../resources/meta.js';
import { isReason, StatusReason } from '../errors.js';
import type { JournalEventInput } from '../journal/event.js';
import type { Journal } from '../journal/journal.js';
import type { MigrationSet } from '../store/backend.js';
import { forDialect as sql } from '../store/placeholders.js';
import type { ExtraWrites, Store } from '../store/store.js';
import type { JournalMessage, ObjectMessage } from './protocol.js';

export const INGEST_MIGRATIONS: MigrationSet = {
  component: 'runtime-ingest',
  sqlite: [
    [
      `CREATE TABLE sk_ingest_journal (node TEXT NOT NULL, session TEXT NOT NULL, sequence INTEGER NOT NULL, PRIMARY KEY (node, session)) WITHOUT ROWID`,
      `CREATE TABLE sk_ingest_objects (node TEXT NOT NULL, plural TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
         resource_version INTEGER NOT NULL, PRIMARY KEY (node, plural, namespace, name)) WITHOUT ROWID`,
    ],
  ],
  postgres: [
    [
      `CREATE TABLE sk_ingest_journal (node TEXT NOT NULL, session TEXT NOT NULL, sequence BIGINT NOT NULL, PRIMARY KEY (node, session))`,
      `CREATE TABLE sk_ingest_objects (node TEXT NOT NULL, plural TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
         resource_version BIGINT NOT NULL, PRIMARY KEY (node, plural, namespace, name))`,
    ],
  ],
};

/** What became of a message. `gap`: an earlier one of the same session is still to come. */
export type IngestOutcome = 'applied' | 'duplicate' | 'gap' | 'refused' | 'unchanged';

/** Run conditions the control plane owns: a node's status never replaces them. */
const CONTROL_PLANE_CONDITIONS = new Set(['Scheduled']);

/** A stale object write found inside its transaction: rolled back, counted as a duplicate. */
class AlreadyApplied extends Error {}

interface Condition {
  type: string;
}
interface RunLike extends KubeObject {
  spec?: { nodeName?: string; run?: string; decision?: unknown };
  status?: { phase?: string; reason?: string; conditions?: Condition[] } & Record<string, unknown>;
}

export class IngestApplier {
  constructor(
    private readonly store: Store,
    private readonly journal: Journal,
    private readonly log: (line: string) => void,
  ) {}

  /**
   * Appends a node's journal events of one session (consecutive messages, in stream order) to the
   * control plane's chain of that session, in one transaction: each once, in the node's order. An
   * event after a missing one is a `gap` (it waits for redelivery), and so is everything after it;
   * `acceptGap` takes the first message even so (its predecessor aged out of the stream).
   */
  async journalEvents(node: string, session: string, messages: JournalMessage[], acceptGap = false): Promise<IngestOutcome[]> {
    const namespace = session.split('/')[0];
    const owned = new Map<string, Promise<boolean>>();
    const allowed = await Promise.all(
      messages.map((m) => {
        const key = `${m.event.run ?? ''}/${m.event.runUid ?? ''}`;
        if (!owned.has(key)) owned.set(key, this.runOfNode(node, namespace, m.event.run, m.event.runUid));
        return owned.get(key)!;
      }),
    );
    return this.store.transaction!(async (tx) => {
      const rows = await tx.execute(sql(tx, 'SELECT sequence FROM sk_ingest_journal WHERE node = ? AND session = ?'), [node, session]);
      const first = Number(rows[0]?.sequence ?? 0);
      let last = first;
      const outcomes: IngestOutcome[] = [];
      const inputs: JournalEventInput[] = [];
      // Once one waits, the rest of the session waits too: the order is the node's.
      let waiting = false;
      for (const [i, m] of messages.entries()) {
        const e = m.event;
        if (e.session !== session || !Number.isInteger(e.sequence) || e.sequence < 1) outcomes.push('refused');
        else if (e.sequence <= last) outcomes.push('duplicate');
        else if (waiting || (e.sequence > last + 1 && !(acceptGap && i === 0))) {
          waiting = true;
          outcomes.push('gap');
        } else {
          if (e.sequence > last + 1) this.log(`runtime ingest: node ${node} session ${session}: events ${last + 1}..${e.sequence - 1} never arrived (aged out of the stream?); going on without them`);
          last = e.sequence;
          if (allowed[i]) inputs.push(importedInput(e));
          outcomes.push(allowed[i] ? 'applied' : 'refused');
        }
      }
      if (inputs.length) await this.journal.append(session, inputs, tx);
      if (last !== first) {
        await tx.execute(
          sql(tx, `INSERT INTO sk_ingest_journal (node, session, sequence) VALUES (?, ?, ?)
                   ON CONFLICT (node, session) DO UPDATE SET sequence = excluded.sequence`),
          [node, session, last],
        );
      }
      return outcomes;
    });
  }

  /** Applies a node's object change by the rules of its kind. */
  async objectChange(node: string, m: ObjectMessage): Promise<IngestOutcome> {
    const obj = m.object as RunLike;
    const namespace = obj.metadata?.namespace ?? '';
    const name = obj.metadata?.name ?? '';
    if (m.type === 'DELETED' || !name || !Number.isInteger(m.localResourceVersion)) return 'refused';
    const record = this.recorder(node, m.plural, namespace, name, m.localResourceVersion);
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.applyByKind(node, m.plural, obj, record);
      } catch (err) {
        if (err instanceof AlreadyApplied) return 'duplicate';
        // Another writer (a controller, a person) moved or made the object meanwhile: read it again.
        if ((isReason(err, StatusReason.Conflict) || isReason(err, StatusReason.AlreadyExists)) && attempt < 5) continue;
        throw err;
      }
    }
  }

  private async applyByKind(node: string, plural: string, obj: RunLike, record: (tx: ExtraWrites) => Promise<void>): Promise<IngestOutcome> {
    const { namespace = '', name = '' } = obj.metadata;
    const cp = await this.store.find<RunLike>(plural, namespace, name);
    switch (plural) {
      case 'runs': {
        if (!cp || cp.metadata.uid !== obj.metadata.uid || cp.spec?.nodeName !== node) return 'refused';
        const status = mergeRunStatus(cp.status, obj.status ?? {});
        if (!status) return 'refused';
        return this.writeStatus(plural, cp, status, record);
      }
      case 'interventions': {
        if (!cp || cp.metadata.uid !== obj.metadata.uid || !(await this.runOfNode(node, namespace, cp.spec?.run))) return 'refused';
        return this.writeStatus(plural, cp, obj.status ?? {}, record);
      }
      case 'approvals':
      case 'artifacts': {
        if (!(await this.runOfNode(node, namespace, obj.spec?.run, ownerRunUid(obj)))) return 'refused';
        if (!cp) return this.create(plural, obj, record);
        // The control plane decides approvals; the node only asks.
        if (plural === 'approvals' && decided(cp)) return 'unchanged';
        return this.writeStatus(plural, cp, obj.status ?? {}, record);
      }
      case 'events': {
        if (!cp) return this.create(plural, obj, record);
        const { metadata: _m, ...fields } = obj;
        const next = { ...cp, ...fields, metadata: cp.metadata } as KubeObject;
        if (JSON.stringify(next) === JSON.stringify(cp)) return 'unchanged';
        await this.store.update(plural, next, { extraWrites: record });
        return 'applied';
      }
      default:
        return 'refused';
    }
  }

  private async writeStatus(plural: string, cp: RunLike, status: Record<string, unknown>, record: (tx: ExtraWrites) => Promise<void>): Promise<IngestOutcome> {
    if (JSON.stringify(status) === JSON.stringify(cp.status ?? {})) return 'unchanged';
    await this.store.updateStatus(plural, { ...cp, status } as KubeObject, { extraWrites: record });
    return 'applied';
  }

  /**
   * Creates a node-made object under its own name and uid (keepIdentity), ownerReferences kept: the
   * node's mirror then recognises the control plane's copy as the object it raised — with another
   * uid it would take it for a different object, replace its own, and a waiting tool call would
   * read that as its approval gone.
   */
  private async create(plural: string, obj: RunLike, record: (tx: ExtraWrites) => Promise<void>): Promise<IngestOutcome> {
    const { resourceVersion: _r, managedFields: _mf, finalizers: _f, deletionTimestamp: _d, ...metadata } = obj.metadata as KubeObject['metadata'] & Record<string, unknown>;
    await this.store.create(plural, { ...obj, metadata } as KubeObject, { extraWrites: record, keepIdentity: true });
    return 'applied';
  }

  /** Whether `run` (in `namespace`) is bound to `node` on the control plane, with `uid` when given. */
  private async runOfNode(node: string, namespace: string, run: string | undefined, uid?: string): Promise<boolean> {
    if (!run) return false;
    const cp = await this.store.find<RunLike>('runs', namespace, run);
    return !!cp && cp.spec?.nodeName === node && (!uid || cp.metadata.uid === uid);
  }

  /** Records the applied version in the write's transaction; a newer one already there rolls the write back. */
  private recorder(node: string, plural: string, namespace: string, name: string, rv: number): (tx: ExtraWrites) => Promise<void> {
    return async (tx) => {
      const rows = await tx.execute(
        sql(tx, `INSERT INTO sk_ingest_objects (node, plural, namespace, name, resource_version) VALUES (?, ?, ?, ?, ?)
                 ON CONFLICT (node, plural, namespace, name) DO UPDATE SET resource_version = excluded.resource_version
                 WHERE sk_ingest_objects.resource_version < excluded.resource_version RETURNING resource_version`),
        [node, plural, namespace, name, rv],
      );
      if (rows.length === 0) throw new AlreadyApplied();
    };
  }
}

/** The control plane's Run status from the node's: the node's, with the control plane's own conditions kept. */
export function mergeRunStatus(cp: RunLike['status'] | undefined, node: NonNullable<RunLike['status']>): Record<string, unknown> | undefined {
  // A run the control plane failed for a lost node stays failed: the node learns it through the mirror.
  if (cp?.phase === 'Failed' && cp.reason === 'NodeLost') return undefined;
  const conditions = [...(cp?.conditions ?? []).filter((c) => CONTROL_PLANE_CONDITIONS.has(c.type)), ...(node.conditions ?? []).filter((c) => !CONTROL_PLANE_CONDITIONS.has(c.type))];
  const { conditions: _c, ...rest } = node;
  return conditions.length ? { ...rest, conditions } : rest;
}

function decided(approval: RunLike): boolean {
  const phase = approval.status?.phase;
  return approval.spec?.decision !== undefined || (phase !== undefined && phase !== 'Pending');
}

function ownerRunUid(obj: KubeObject): string | undefined {
  return obj.metadata.ownerReferences?.find((o) => o.kind === 'Run')?.uid;
}

function importedInput(e: JournalMessage['event']): JournalEventInput {
  return {
    id: e.id,
    time: e.time,
    type: e.type,
    actor: e.actor,
    ...(e.run ? { run: e.run } : {}),
    ...(e.runUid ? { runUid: e.runUid } : {}),
    payload: e.payload ?? {},
    ...(e.correlationId ? { correlationId: e.correlationId } : {}),
    ...(e.causationId ? { causationId: e.causationId } : {}),
  };
}
