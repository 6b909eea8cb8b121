/**
 * The read-only subresources that are not objects: a session's timeline (the journal) and an
 * artifact's content.
 *   GET .../namespaces/{ns}/sessions/{name}/timeline?after=SEQ&limit=N[&run=R][&type=T][&follow=1]
 *       → {events, next, hasMore}; with follow=1, newline-delimited events: backlog, then live
 *   GET .../namespaces/{ns}/sessions/{name}/verify → {ok, checked, brokenAt?, reason?}
 *   GET .../namespaces/{ns}/artifacts/{name}/content → the stored bytes (digest-checked)
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import { ApiError, StatusReason } from '../errors.js';
import { sessionKey, type Journal } from '../journal/journal.js';
import type { JournalEvent } from '../journal/event.js';
import type { ApiService } from './service.js';
import type { ResourceRoute } from './routes.js';
import type { WatchRegistry } from './watch.js';
import type { RequestQuery } from './query.js';

/** Reads artifact bodies by digest (the content-addressed artifact store). */
export interface ArtifactBodies {
  get(digest: string): Promise<Buffer | undefined>;
}

/** True for the routes this handler serves. */
export function isSessionSubresource(route: ResourceRoute): boolean {
  if (route.core || !route.name || !route.namespace) return false;
  return (route.plural === 'sessions' && (route.subresource === 'timeline' || route.subresource === 'verify')) || (route.plural === 'artifacts' && route.subresource === 'content');
}

function json(res: ServerResponse, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export class SessionSubresources {
  constructor(private readonly d: { service: ApiService; journal: Journal; artifacts?: ArtifactBodies; watches: WatchRegistry }) {}

  async handle(route: ResourceRoute, req: IncomingMessage, res: ServerResponse, q: RequestQuery): Promise<void> {
    if (req.method !== 'GET') throw new ApiError(StatusReason.MethodNotAllowed, `the server does not allow this method on the requested resource (${req.method ?? ''})`);
    const ns = route.namespace!;
    const name = route.name!;
    // Both must name an object that exists: a 404 says so, as for any other subresource.
    const obj = await this.d.service.get(route.plural, ns, name);
    if (route.plural === 'artifacts') return this.content(obj as { status?: { digest?: string } }, name, res);
    const key = sessionKey(ns, name);
    if (route.subresource === 'verify') return json(res, await this.d.journal.verify(key));
    const filter = {
      after: q.after ?? 0,
      ...(q.params.get('run') ? { run: q.params.get('run')! } : {}),
      ...(q.params.get('run') && q.params.get('runUid') ? { runUid: q.params.get('runUid')! } : {}),
      ...(q.params.getAll('type').length ? { types: q.params.getAll('type').flatMap((t) => t.split(',')) } : {}),
    };
    if (q.follow) return followJournal(this.d, key, filter, req, res);
    json(res, await this.d.journal.read(key, { ...filter, limit: q.limit ?? 500 }));
  }

  private async content(obj: { status?: { digest?: string } }, name: string, res: ServerResponse): Promise<void> {
    const digest = obj.status?.digest?.replace(/^sha256:/, '');
    if (!digest) throw new ApiError(StatusReason.NotFound, `artifact "${name}" has no published content yet`);
    // The control plane keeps no artifact bytes: they stay on the node that produced them.
    if (!this.d.artifacts) throw new ApiError(StatusReason.NotFound, `artifact "${name}": content sha256:${digest} stays on the machine that produced it (this server keeps no artifact content)`);
    const body = await this.d.artifacts.get(digest);
    if (!body) throw new ApiError(StatusReason.NotFound, `artifact "${name}": content sha256:${digest} is missing from the artifact store`);
    if (createHash('sha256').update(body).digest('hex') !== digest) throw new ApiError(StatusReason.InternalError, `artifact "${name}": stored content does not match its digest`);
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length, etag: `"${digest}"` });
    res.end(body);
  }
}

/**
 * Streams a session's journal as NDJSON — the backlog after `filter.after`, then live — until the
 * client goes or the server stops. `keep` narrows what is sent beyond the journal's own filter.
 * Shared by the timeline (`?follow=1`) and a channel's messages.
 */
export async function followJournal(
  d: { journal: Journal; watches: WatchRegistry },
  key: string,
  filter: { after: number; run?: string; runUid?: string; types?: string[] },
  req: IncomingMessage,
  res: ServerResponse,
  keep: (event: JournalEvent) => boolean = () => true,
): Promise<void> {
  const ac = d.watches.track();
  const end = (): void => ac.abort();
  req.on('close', end);
  res.on('close', end);
  res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked', 'cache-control': 'no-cache' });
  res.flushHeaders();
  try {
    for await (const event of d.journal.follow(key, filter, ac.signal)) {
      if (!keep(event)) continue;
      if (!res.write(`${JSON.stringify(event)}\n`)) await new Promise((r) => res.once('drain', r));
    }
  } finally {
    ac.abort();
    res.end();
  }
}
