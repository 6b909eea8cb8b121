/**
 * Reading a session's journal over the API: paged timeline reads, the follow stream (NDJSON,
 * backlog then live), the hash-chain check and raw artifact bytes. Shared by `logs`, `timeline`,
 * `replay` and `artifact get`.
 */
import type { IncomingMessage } from 'node:http';
import { ApiClient, errorFromBody } from '../../api/client/client.js';
import { Transport } from '../../api/client/transport.js';
import { readNdjson } from '../../api/client/watch.js';
import type { ResourceRef } from '../../api/client/types.js';
import type { JournalEvent } from '../../api/journal/event.js';
import type { KubeObject } from '../../resources/meta.js';

const GROUP = { group: 'sidekicks.dev', version: 'v1alpha1', namespaced: true } as const;
/** The Session resource. */
export const SESSIONS: ResourceRef = { ...GROUP, plural: 'sessions', kind: 'Session' };
/** The Run resource. */
export const RUNS: ResourceRef = { ...GROUP, plural: 'runs', kind: 'Run' };
/** The Artifact resource. */
export const ARTIFACTS: ResourceRef = { ...GROUP, plural: 'artifacts', kind: 'Artifact' };

/** The fields of a Run the journal views read. */
export interface RunView extends KubeObject {
  spec: { session: string; agent?: string };
  status?: {
    phase?: string;
    reason?: string;
    message?: string;
    workspace?: { branch?: string };
    diff?: { files?: number; insertions?: number; deletions?: number; artifact?: string };
  };
}

/** Filters of a timeline read. */
export interface TimelineFilter {
  after?: number;
  run?: string;
  /** Exact types or prefixes (`tool.`, `run.*`). */
  types?: string[];
}

/** The result of `GET .../sessions/{name}/verify`. */
export interface VerifyResult {
  ok: boolean;
  checked: number;
  brokenAt?: number;
  reason?: string;
}

/** The spellings of a session target (`timeline`, `timeline verify`, `replay`). */
export const SESSION_TYPES = ['session', 'sessions', 'session.sidekicks.dev', 'sessions.sidekicks.dev'];

/** Splits `TYPE/NAME` (TYPE one of `types`) or a bare NAME; anything else is a usage mistake. */
export function parseTarget(arg: string, types: string[]): string | undefined {
  const slash = arg.indexOf('/');
  if (slash < 0) return arg || undefined;
  const type = arg.slice(0, slash).toLowerCase();
  const name = arg.slice(slash + 1);
  return types.includes(type) && name && !name.includes('/') ? name : undefined;
}

function sessionPath(namespace: string, session: string, sub: 'timeline' | 'verify'): string {
  return ApiClient.path(SESSIONS, namespace, session, sub);
}

function query(filter: TimelineFilter): Record<string, string | number | undefined> {
  return { after: filter.after, run: filter.run, type: filter.types?.length ? filter.types.join(',') : undefined };
}

/** Yields every event of a session matching `filter`, page by page. */
export async function* readTimeline(client: ApiClient, namespace: string, session: string, filter: TimelineFilter = {}): AsyncGenerator<JournalEvent> {
  let after = filter.after ?? 0;
  for (;;) {
    const page = await client.raw<{ events: JournalEvent[]; next: number; hasMore: boolean }>(sessionPath(namespace, session, 'timeline'), {
      ...query(filter),
      after,
      limit: 1000,
    });
    yield* page.events;
    if (!page.hasMore || page.next <= after) return;
    after = page.next;
  }
}

/**
 * Reads a followed stream until `onEvent` says an event ends it (or `outer` aborts), then stops the
 * stream: `open` gets a signal that ends with either.
 */
export async function followUntil<E>(outer: AbortSignal, open: (signal: AbortSignal) => AsyncIterable<E>, onEvent: (event: E) => boolean | Promise<boolean>): Promise<void> {
  const stop = new AbortController();
  const signal = AbortSignal.any([outer, stop.signal]);
  try {
    for await (const event of open(signal)) if (await onEvent(event)) break;
  } finally {
    stop.abort();
  }
}

/**
 * Yields the backlog and then live events until `signal` aborts (then it ends quietly) or the
 * consumer stops iterating (which closes the stream).
 */
export async function* followTimeline(client: ApiClient, namespace: string, session: string, filter: TimelineFilter, signal: AbortSignal): AsyncGenerator<JournalEvent> {
  const transport = new Transport(client.connection);
  try {
    let res: IncomingMessage;
    try {
      res = await transport.open({ method: 'GET', path: sessionPath(namespace, session, 'timeline'), query: { ...query(filter), follow: 1 }, headers: { accept: 'application/json' }, signal });
    } catch (err) {
      if (signal.aborted) return;
      throw err;
    }
    if ((res.statusCode ?? 0) >= 300) throw errorFromBody(res.statusCode ?? 500, (await readAll(res)).toString('utf8'));
    yield* readNdjson<JournalEvent>(res, signal);
  } finally {
    transport.close();
  }
}

/** Checks a session's hash chain on the server. */
export function verifyTimeline(client: ApiClient, namespace: string, session: string): Promise<VerifyResult> {
  return client.raw<VerifyResult>(sessionPath(namespace, session, 'verify'));
}

/** The stored bytes of an artifact; a missing artifact or body is the server's NotFound. */
export async function artifactContent(client: ApiClient, namespace: string, name: string, signal?: AbortSignal): Promise<Buffer> {
  const transport = new Transport(client.connection);
  try {
    const res = await transport.open({ method: 'GET', path: ApiClient.path(ARTIFACTS, namespace, name, 'content'), headers: { accept: 'application/octet-stream, application/json' }, signal });
    const body = await readAll(res);
    if ((res.statusCode ?? 0) >= 300) throw errorFromBody(res.statusCode ?? 500, body.toString('utf8'));
    return body;
  } finally {
    transport.close();
  }
}

async function readAll(res: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** True for the events after which a run does nothing more. */
export function isTerminalRunEvent(event: JournalEvent): boolean {
  return event.type === 'run.Completed' || event.type === 'run.Failed' || event.type === 'run.Interrupted' || event.type === 'run.Canceled';
}
