/**
 * A Server-Sent Events parser (WHATWG HTML, "Parsing an event stream") for streamed chat
 * completions: `data:` fields joined with newlines (multi-line events), `:` comment lines ignored,
 * `event:` / `id:` kept, CR, LF and CRLF line ends, a blank line dispatches. An event not ended by
 * a blank line before the stream closes is discarded, as the spec says.
 */

/** One dispatched server-sent event. */
export interface SseEvent {
  event: string;
  data: string;
  id?: string;
}

/** Yields the events of an SSE byte stream; errors of the underlying stream (a dropped connection) propagate. */
export async function* parseSse(body: AsyncIterable<Uint8Array>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder('utf-8');
  const parser = new SseLineParser();
  for await (const chunk of body) {
    yield* parser.feed(decoder.decode(chunk, { stream: true }));
  }
  yield* parser.feed(decoder.decode());
}

/** Incremental SSE parsing over decoded text; `feed` returns the events completed by this text. */
export class SseLineParser {
  private buffer = '';
  private data: string[] = [];
  private event = '';
  private id?: string;
  private first = true;

  feed(text: string): SseEvent[] {
    if (this.first && text.length > 0) {
      // A leading byte-order mark is not part of the first field name.
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      this.first = false;
    }
    this.buffer += text;
    const events: SseEvent[] = [];
    let start = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const c = this.buffer[i];
      if (c !== '\n' && c !== '\r') continue;
      // A CR at the very end may be the first half of CRLF: wait for the next chunk to decide.
      if (c === '\r' && i === this.buffer.length - 1) break;
      const line = this.buffer.slice(start, i);
      if (c === '\r' && this.buffer[i + 1] === '\n') i++;
      start = i + 1;
      const event = this.line(line);
      if (event) events.push(event);
    }
    this.buffer = this.buffer.slice(start);
    return events;
  }

  private line(line: string): SseEvent | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
    else if (field === 'id' && !value.includes('\0')) this.id = value;
    return undefined;
  }

  private dispatch(): SseEvent | undefined {
    const data = this.data;
    const event = this.event;
    this.data = [];
    this.event = '';
    if (data.length === 0) return undefined;
    return { event: event || 'message', data: data.join('\n'), ...(this.id !== undefined ? { id: this.id } : {}) };
  }
}
