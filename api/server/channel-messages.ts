/**
 * A channel's messages, served from its session's journal (`channel.message` events):
 *   POST .../namespaces/{ns}/channels/{name}/messages  {"text": "..."}
 *       → 201 the journal event; the author is the authenticated user, never a name the client sends
 *   GET  .../namespaces/{ns}/channels/{name}/messages?after=SEQ&limit=N → {events, next, hasMore}
 *   GET  ...?follow=1 → newline-delimited events: backlog, then live
 * A post is refused (403) while the channel is muted (its spec.maxTurns agent turns are taken) or
 * its session is archived. The post commits together with a touch of the channel's
 * `sidekicks.dev/last-message-at` annotation, which wakes the Channel controller and, through the
 * object's resourceVersion, keeps a post from slipping past a concurrent mute.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, StatusReason, isReason } from '../errors.js';
import { sessionKey, type Journal } from '../journal/journal.js';
import type { JournalEvent } from '../journal/event.js';
import { CHANNEL_MESSAGE, channelMessageOf, readChannelMessages, turnsTaken, type ChannelMessagePayload } from '../journal/channel-messages.js';
import type { Store } from '../store/store.js';
import type { Channel } from '../../resources/kinds/channel.js';
import type { Session } from '../../resources/kinds/session.js';
import { decodeBody } from './body.js';
import { writeJson } from './respond.js';
import type { ResourceRoute } from './routes.js';
import type { WatchRegistry } from './watch.js';
import type { RequestQuery } from './query.js';
import { followJournal } from './session-subresources.js';

/** The annotation a post touches (RFC 3339 with milliseconds): the Channel controller's wake-up. */
export const LAST_MESSAGE_ANNOTATION = 'sidekicks.dev/last-message-at';

/** The longest message a person may post, in characters. */
export const MAX_MESSAGE_CHARS = 64 * 1024;

const CONFLICT_RETRIES = 8;

/** True for the routes this handler serves. */
export function isChannelMessages(route: ResourceRoute): boolean {
  return !route.core && route.plural === 'channels' && !!route.name && !!route.namespace && route.subresource === 'messages';
}

function forbidden(name: string, why: string): ApiError {
  return new ApiError(StatusReason.Forbidden, `channels.sidekicks.dev "${name}" is forbidden: ${why}`, { name, group: 'sidekicks.dev', kind: 'channels' });
}

/** The text of a post body (`{"text": "..."}`), checked. */
function textOf(body: Buffer | undefined, contentType: string | undefined): string {
  const decoded = decodeBody(body ?? Buffer.alloc(0), contentType) as { text?: unknown } | null;
  const text = decoded && typeof decoded === 'object' ? decoded.text : undefined;
  const invalid = (message: string): ApiError => new ApiError(StatusReason.Invalid, `message is invalid: text: ${message}`, { kind: 'channels', causes: [{ field: 'text', reason: 'FieldValueInvalid', message }] });
  if (typeof text !== 'string') throw invalid('Required value: a string');
  if (text.trim() === '') throw invalid('must not be empty');
  if (text.length > MAX_MESSAGE_CHARS) throw invalid(`must be at most ${MAX_MESSAGE_CHARS} characters, got ${text.length}`);
  return text;
}

export class ChannelMessages {
  constructor(private readonly d: { store: Store; journal: Journal; watches: WatchRegistry }) {}

  async handle(route: ResourceRoute, req: IncomingMessage, res: ServerResponse, q: RequestQuery, user: string, body?: Buffer): Promise<void> {
    const ns = route.namespace!;
    const name = route.name!;
    if (req.method === 'POST') return writeJson(res, 201, await this.post(ns, name, user, textOf(body, req.headers['content-type'])));
    if (req.method !== 'GET') throw new ApiError(StatusReason.MethodNotAllowed, `the server does not allow this method on the requested resource (${req.method ?? ''})`);
    const channel = await this.channel(ns, name);
    const key = sessionKey(ns, channel.spec.session);
    const after = q.after ?? 0;
    if (q.follow) return followJournal(this.d, key, { after, types: [CHANNEL_MESSAGE] }, req, res, (event) => !!channelMessageOf(event, name));
    writeJson(res, 200, await this.read(key, name, after, q.limit ?? 500));
  }

  private async channel(ns: string, name: string): Promise<Channel> {
    const channel = await this.d.store.find<Channel>('channels', ns, name);
    if (!channel) throw new ApiError(StatusReason.NotFound, `channels.sidekicks.dev "${name}" not found`, { name, group: 'sidekicks.dev', kind: 'channels' });
    return channel;
  }

  /** Appends a person's message, unless the channel takes none now. */
  private async post(ns: string, name: string, user: string, text: string): Promise<JournalEvent> {
    for (let attempt = 0; ; attempt++) {
      const channel = await this.channel(ns, name);
      const key = sessionKey(ns, channel.spec.session);
      await this.refusal(channel, key);
      const previous = Date.parse(channel.metadata.annotations?.[LAST_MESSAGE_ANNOTATION] ?? '');
      const at = new Date(Math.max(Date.now(), Number.isNaN(previous) ? 0 : previous + 1)).toISOString();
      const touched: Channel = { ...channel, metadata: { ...channel.metadata, annotations: { ...channel.metadata.annotations, [LAST_MESSAGE_ANNOTATION]: at } } };
      const payload: ChannelMessagePayload = { channel: name, text };
      let written: JournalEvent | undefined;
      try {
        await this.d.store.update('channels', touched, {
          extraWrites: async (tx) => {
            [written] = await this.d.journal.append(key, [{ type: CHANNEL_MESSAGE, actor: { kind: 'participant', name: user }, payload: { ...payload } }], tx);
          },
        });
        return written!;
      } catch (err) {
        // The channel changed since it was read (a new status, another post): check again.
        if (isReason(err, 'Conflict') && attempt < CONFLICT_RETRIES) continue;
        throw err;
      }
    }
  }

  /** Throws when the channel takes no posts now: being deleted, its session gone or archived, or muted. */
  private async refusal(channel: Channel, key: string): Promise<void> {
    const name = channel.metadata.name!;
    if (channel.metadata.deletionTimestamp) throw forbidden(name, `channel "${name}" is being deleted`);
    const session = await this.d.store.find<Session>('sessions', channel.metadata.namespace!, channel.spec.session);
    if (!session) throw new ApiError(StatusReason.NotFound, `sessions.sidekicks.dev "${channel.spec.session}" not found (the session of channel "${name}")`, { name: channel.spec.session, group: 'sidekicks.dev', kind: 'sessions' });
    if (session.spec.archived || session.status?.phase === 'Archived' || session.status?.phase === 'Closed' || channel.status?.phase === 'Archived') {
      throw forbidden(name, `channel "${name}" is archived with its session "${channel.spec.session}": it takes no more messages`);
    }
    // The session's journal opens with session.created, written when the session is first observed.
    if (!session.status?.phase) throw new ApiError(StatusReason.Conflict, `session "${channel.spec.session}" is not ready yet: post again in a moment`);
    const max = channel.spec.maxTurns;
    // The status may lag the journal by a moment: the journal's count decides.
    const taken = max === undefined ? 0 : turnsTaken(await readChannelMessages(this.d.journal, key, name));
    // A Muted status counts only while it reflects the current spec (maxTurns may have been raised).
    const mutedStatus = channel.status?.phase === 'Muted' && channel.status.observedGeneration === channel.metadata.generation;
    if (mutedStatus || (max !== undefined && taken >= max)) {
      throw forbidden(name, `channel "${name}" is muted: its agents took ${Math.max(taken, channel.status?.turn ?? 0)} of ${max ?? '?'} turns (spec.maxTurns); raise spec.maxTurns to continue the conversation`);
    }
  }

  /** A page of the channel's messages after `after`: at most `limit`, `next` the cursor to continue from. */
  private async read(key: string, name: string, after: number, limit: number): Promise<{ events: JournalEvent[]; next: number; hasMore: boolean }> {
    const max = Math.min(Math.max(limit, 1), 10_000);
    const events: JournalEvent[] = [];
    let cursor = after;
    for (;;) {
      const page = await this.d.journal.read(key, { after: cursor, limit: 10_000, types: [CHANNEL_MESSAGE] });
      for (const e of page.events) {
        if (!channelMessageOf(e, name)) continue;
        if (events.length === max) return { events, next: cursor, hasMore: true };
        events.push(e);
        cursor = e.sequence;
      }
      if (!page.hasMore) return { events, next: Math.max(cursor, page.next), hasMore: false };
      cursor = page.next;
    }
  }
}
