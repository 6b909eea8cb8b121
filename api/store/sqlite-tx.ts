/**
 * The SQLite backend's reads and write transactions over one connection's prepared statements:
 * SqliteReader on the reader connection (read snapshots), SqliteTx on the writer (one job of a
 * group-committed batch, see ./sqlite.ts).
 */
import {
  TRIM_EVERY,
  type HistoryPolicy,
  type BackendReader,
  type BackendTx,
  type ChangeRecord,
  type ObjectKey,
  type ObjectQuery,
  type StoredObject,
} from './backend.js';
import { toStored, type Statements, type WriteStatements } from './sqlite-statements.js';
import type { ObjectRow } from './rows.js';

/** Reads through one connection's prepared statements. */
export class SqliteReader implements BackendReader {
  readonly dialect = 'sqlite' as const;
  constructor(protected readonly s: Statements) {}

  /** Runs a read of another feature's tables; a statement that writes is refused (this is the reader). */
  async execute(sqlText: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
    const stmt = this.s.prepared(sqlText);
    if (!stmt.reader) throw new Error(`sidekicks store: a write in a read transaction: ${sqlText}`);
    return stmt.all(...params) as Record<string, unknown>[];
  }

  async getObject(key: ObjectKey): Promise<StoredObject | undefined> {
    const row = this.s.get.get(key.plural, key.namespace, key.name) as ObjectRow | undefined;
    return row ? toStored(row) : undefined;
  }
  async listObjects(q: ObjectQuery): Promise<StoredObject[]> {
    const { stmt, params } = this.s.query(q, false);
    return (stmt.all(...params) as ObjectRow[]).map(toStored);
  }
  async countObjects(q: ObjectQuery): Promise<number> {
    const { stmt, params } = this.s.query(q, true);
    return stmt.get(...params) as number;
  }
  async currentResourceVersion(): Promise<number> {
    return this.s.rv.get() as number;
  }
  async dependentsOf(ownerUid: string): Promise<ObjectKey[]> {
    return this.s.dependents.all(ownerUid) as ObjectKey[];
  }
  async getByUid(uid: string): Promise<StoredObject | undefined> {
    const row = this.s.byUid.get(uid) as ObjectRow | undefined;
    return row ? toStored(row) : undefined;
  }
  async findByFinalizer(finalizer: string): Promise<StoredObject[]> {
    return (this.s.byFinalizer.all(finalizer) as ObjectRow[]).map(toStored);
  }
}

/** One write transaction on the writer connection. */
export class SqliteTx extends SqliteReader implements BackendTx {
  readonly changes: ChangeRecord[] = [];
  readonly hooks: (() => void)[] = [];
  private rv: number | undefined;
  private startRv = 0;

  constructor(private readonly w: WriteStatements, private readonly history: HistoryPolicy) {
    super(w);
  }

  override async currentResourceVersion(): Promise<number> {
    return this.rv ?? (this.w.rv.get() as number);
  }
  async nextResourceVersion(): Promise<number> {
    if (this.rv === undefined) this.rv = this.startRv = this.w.rv.get() as number;
    return ++this.rv;
  }
  async putObject(o: StoredObject): Promise<void> {
    this.w.put.run(o.plural, o.namespace, o.name, o.uid, o.resourceVersion, o.json);
  }
  async createObject(o: StoredObject, change: ChangeRecord): Promise<boolean> {
    if (await this.getObject(o)) return false;
    await this.putObject(o);
    await this.appendChange(change);
    return true;
  }
  async deleteObject(k: ObjectKey): Promise<void> {
    this.w.del.run(k.plural, k.namespace, k.name);
  }
  async setOwners(k: ObjectKey, ownerUids: string[]): Promise<void> {
    this.w.delOwners.run(k.plural, k.namespace, k.name);
    for (const uid of ownerUids) this.w.addOwner.run(uid, k.plural, k.namespace, k.name);
  }
  async appendChange(c: ChangeRecord): Promise<void> {
    this.w.change.run(c.resourceVersion, c.plural, c.namespace, c.name, c.type, c.json, c.prevJson ?? null);
    this.changes.push(c);
  }
  override async execute(sqlText: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
    const stmt = this.w.prepared(sqlText);
    if (stmt.reader) return stmt.all(...params) as Record<string, unknown>[];
    stmt.run(...params);
    return [];
  }
  afterCommit(fn: () => void): void {
    this.hooks.push(fn);
  }

  /** Persists the counter and compacts the history; called just before COMMIT. */
  finish(): void {
    if (this.rv === undefined || this.rv === this.startRv) return;
    this.w.setRv.run(this.rv);
    if (Math.floor(this.rv / TRIM_EVERY) !== Math.floor(this.startRv / TRIM_EVERY)) compactHistory(this.w, this.rv, this.history);
  }
}

/**
 * Compacts the history below `rv - limit` and, with a retention, the prefix up to the newest
 * change older than it (a prefix: the history never has holes), raising each deleted plural's
 * horizon in sk_compaction in the same transaction. Runs on the writer, inside a transaction.
 */
export function compactHistory(w: WriteStatements, rv: number, history: HistoryPolicy): void {
  let cut = rv - history.limit;
  if (history.retentionMs !== undefined) cut = Math.max(cut, (w.ageCut.get(history.retentionMs) as number | null) ?? 0);
  if (cut <= 0) return;
  w.raiseHorizons.run(cut);
  w.trim.run(cut);
}
