/**
 * The connection the Postgres group commit writes on: one `pg.Client` of its own, not a pooled
 * @databases/pg connection. @databases/pg splits a query text at its semicolons and wraps the
 * pieces in a transaction of their own, so it cannot send `RELEASE SAVEPOINT job; SAVEPOINT job`
 * as one round trip inside a transaction that is already open; node-postgres sends such a text
 * as one simple query. Batches run one at a time, so one connection is all the writes need.
 *
 * After a fault the connection is dropped and the next batch connects afresh, as a pool would.
 */
import pg from 'pg';
import type { SQLQuery } from '@databases/pg';

/** What a reader or transaction view needs of a connection: parameterized queries (rows typed as @databases/pg types them). */
export interface SqlRunner {
  query(q: SQLQuery): Promise<any[]>;
  /**
   * Queues a write whose result nobody reads, to travel with a later statement (postgres-batch.ts).
   * Only in a replayable job of a batch: when it fails, the job runs again with its writes sent at once.
   */
  defer?(q: SQLQuery): Promise<void>;
}

/** The column a batch's marker statements (`SELECT n AS sk_job`) return: which job's statements ran. */
export const MARKER_COLUMN = 'sk_job';


/** int8 columns (resourceVersion, counter) as numbers, as the pool's `bigIntMode: 'number'` reads them. */
const INT8 = 20;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8 && format !== 'binary' ? (v: string) => parseInt(v, 10) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** A connected writer: parameterized queries and parameterless multi-statement scripts. */
export interface WriterSession extends SqlRunner {
  /** Runs `text` (statements without parameters, `;`-separated) in one round trip; rows of each statement. */
  script(text: string): Promise<Record<string, unknown>[][]>;
  /** {@link WriterSession.script}, calling `onMarker` for each marker row as its statement runs (which job a failure came in). */
  markedScript(text: string, onMarker: (marker: number) => void): Promise<Record<string, unknown>[][]>;
  /** `q` with its parameters written as literals (to join a script), or undefined when one cannot be. */
  inline(q: SQLQuery): string | undefined;
}

/** A parameter with no literal form here (an object, an array): the query is sent on its own. */
class NotInlinable extends Error {}

/**
 * The literal node-postgres's `escapeLiteral` returns (quotes and backslashes doubled, `E''` when
 * there is a backslash), without its character-by-character loop: every create inlines its whole
 * object's JSON, and the loop cost more than the rest of the statement's formatting.
 */
export function quoteLiteral(s: string): string {
  const quoted = `'${s.replace(/['\\]/g, (c) => c + c)}'`;
  return s.includes('\\') ? ` E${quoted}` : quoted;
}

/**
 * A parameter as an SQL literal: the text node-postgres would send for it, quoted as the driver
 * quotes it, so Postgres types it as it types an untyped parameter (from its context) and any
 * character is safe.
 */
function literal(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') {
    return quoteLiteral(String(value));
  }
  throw new NotInlinable();
}

/** The writer connection, opened on first use and after {@link PgWriterConnection.drop}. */
export class PgWriterConnection {
  private client: pg.Client | undefined;
  private closed = false;

  constructor(private readonly url: string) {}

  /** The open connection, connecting first when there is none. */
  async session(): Promise<WriterSession> {
    if (this.closed) throw new Error('sidekicks store: the postgres writer is closed');
    const client = this.client ?? (await this.open());
    return {
      query: async (q) => {
        const { text, values } = q.format({ escapeIdentifier: (s) => client.escapeIdentifier(s), formatValue: (value, i) => ({ placeholder: `$${i + 1}`, value }) });
        return (await client.query(text, values)).rows as Record<string, unknown>[];
      },
      inline: (q) => {
        try {
          return q.format({ escapeIdentifier: (s) => client.escapeIdentifier(s), formatValue: (value) => ({ placeholder: literal(value), value }) }).text;
        } catch (err) {
          if (err instanceof NotInlinable) return undefined;
          throw err;
        }
      },
      script: async (text) => {
        const res = (await client.query(text)) as unknown as pg.QueryResult | pg.QueryResult[];
        return (Array.isArray(res) ? res : [res]).map((r) => r.rows as Record<string, unknown>[]);
      },
      markedScript: (text, onMarker) =>
        new Promise((resolve, reject) => {
          const query = new pg.Query({
            text,
            callback: (err: Error | null, res: pg.QueryResult | pg.QueryResult[]) => {
              if (err) reject(err);
              else resolve((Array.isArray(res) ? res : [res]).map((r) => r.rows as Record<string, unknown>[]));
            },
          } as pg.QueryConfig);
          // Rows arrive as the statements run, so the last marker seen names the job that failed.
          query.on('row', (row: Record<string, unknown>) => {
            if (typeof row[MARKER_COLUMN] === 'number') onMarker(row[MARKER_COLUMN]);
          });
          client.query(query);
        }),
    };
  }

  /** Closes the connection (after a fault its state is unknown); the next session connects again. */
  drop(): void {
    const client = this.client;
    this.client = undefined;
    client?.end().catch(() => undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private async open(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: this.url, types });
    // A connection that dies while idle reports here; without a listener the process would crash.
    client.on('error', () => {
      if (this.client === client) this.drop();
    });
    try {
      await client.connect();
    } catch (err) {
      client.end().catch(() => undefined);
      throw err;
    }
    this.client = client;
    return client;
  }
}
