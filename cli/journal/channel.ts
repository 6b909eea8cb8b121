/**
 * A channel's conversation over the API (`.../channels/{name}/messages`): posting a person's
 * message, reading the messages page by page, following them live, and printing each as
 * `AUTHOR: text`. Shared by `sidekick post` and `sidekick logs channel/NAME`.
 */
import type { IncomingMessage } from 'node:http';
import { ApiClient, errorFromBody } from '../../api/client/client.js';
import { Transport } from '../../api/client/transport.js';
import { readNdjson } from '../../api/client/watch.js';
import type { ResourceRef } from '../../api/client/types.js';
import type { JournalEvent } from '../../api/journal/event.js';
import type { KubeObject } from '../../resources/meta.js';
import { parseTarget } from './read.js';

/** The Channel resource. */
export const CHANNELS: ResourceRef = { group: 'sidekicks.dev', version: 'v1alpha1', plural: 'channels', kind: 'Channel', namespaced: true };

/** The type names a channel target may be written with (`channel/NAME`, `ch/NAME`...). */
export const CHANNEL_TYPES = ['channel', 'channels', 'ch', 'channel.sidekicks.dev', 'channels.sidekicks.dev'];

/** The fields of a Channel the CLI reads. */
export interface ChannelView extends KubeObject {
  spec: { session: string; maxTurns?: number; turnPolicy?: string };
  status?: { phase?: string; turn?: number };
}

/** The channel a `TYPE/NAME` argument names, or undefined when it names no channel. */
export function channelTarget(arg: string): string | undefined {
  return arg.includes('/') ? parseTarget(arg, CHANNEL_TYPES) : undefined;
}

function messagesPath(namespace: string, channel: string): string {
  return ApiClient.path(CHANNELS, namespace, channel, 'messages');
}

/** Posts a person's message; resolves the journal event the server wrote. */
export function postMessage(client: ApiClient, namespace: string, channel: string, text: string): Promise<JournalEvent> {
  return client.call<JournalEvent>('POST', messagesPath(namespace, channel), { body: { text } });
}

/** Yields every message of a channel, page by page. */
export async function* readChannel(client: ApiClient, namespace: string, channel: string): AsyncGenerator<JournalEvent> {
  let after = 0;
  for (;;) {
    const page = await client.raw<{ events: JournalEvent[]; next: number; hasMore: boolean }>(messagesPath(namespace, channel), { after, limit: 1000 });
    yield* page.events;
    if (!page.hasMore || page.next <= after) return;
    after = page.next;
  }
}

/** Yields the channel's messages so far, then live ones, until `signal` aborts or the consumer stops. */
export async function* followChannel(client: ApiClient, namespace: string, channel: string, signal: AbortSignal): AsyncGenerator<JournalEvent> {
  const transport = new Transport(client.connection);
  try {
    let res: IncomingMessage;
    try {
      res = await transport.open({ method: 'GET', path: messagesPath(namespace, channel), query: { follow: 1 }, headers: { accept: 'application/json' }, signal });
    } catch (err) {
      if (signal.aborted) return;
      throw err;
    }
    if ((res.statusCode ?? 0) >= 300) {
      const chunks: Buffer[] = [];
      for await (const c of res) chunks.push(c as Buffer);
      throw errorFromBody(res.statusCode ?? 500, Buffer.concat(chunks).toString('utf8'));
    }
    yield* readNdjson<JournalEvent>(res, signal);
  } finally {
    transport.close();
  }
}

/** `AUTHOR: text`, with the lines after the first indented. */
export function messageLines(event: JournalEvent): string[] {
  const text = String(event.payload.text ?? '').replace(/\s+$/, '');
  const [first = '', ...rest] = text.split('\n');
  return [`${event.actor.name}: ${first}`, ...rest.map((l) => `  ${l}`)];
}

/** The agent turn a message records, if it is one. */
export function turnOf(event: JournalEvent): number | undefined {
  return typeof event.payload.turn === 'number' ? event.payload.turn : undefined;
}
