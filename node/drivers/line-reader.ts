/**
 * Splits a byte stream into lines for the driver host protocol. A line longer than `maxLineBytes`
 * is dropped (reported through `onOverflow`) instead of growing memory without bound: one runaway
 * message must not take the daemon or the host down.
 */
import type { Readable } from 'node:stream';

export interface LineReaderOptions {
  onLine(line: string): void;
  onOverflow?(droppedChars: number): void;
  /** Called once when the stream ends or fails (after the last line). */
  onEnd?(error?: Error): void;
  maxLineBytes?: number;
}

/** Default cap on one protocol line: a checkpoint carries the whole transcript, so it is generous. */
export const DEFAULT_MAX_LINE_BYTES = 64 * 1024 * 1024;

/** Reads `stream` as UTF-8 and calls `onLine` for every complete, non-empty line. */
export function readLines(stream: Readable, opts: LineReaderOptions): void {
  const max = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  let pending = '';
  let dropping = 0;
  let ended = false;
  const end = (error?: Error) => {
    if (ended) return;
    ended = true;
    if (pending.length > 0 && dropping === 0) emit(pending);
    if (dropping > 0) opts.onOverflow?.(dropping + pending.length);
    pending = '';
    opts.onEnd?.(error);
  };
  const emit = (line: string) => {
    const trimmed = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (trimmed.trim().length > 0) opts.onLine(trimmed);
  };
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    let start = 0;
    for (let nl = chunk.indexOf('\n', start); nl !== -1; nl = chunk.indexOf('\n', start)) {
      const piece = chunk.slice(start, nl);
      start = nl + 1;
      if (dropping > 0) {
        opts.onOverflow?.(dropping + piece.length);
        dropping = 0;
        continue;
      }
      emit(pending + piece);
      pending = '';
    }
    const rest = chunk.slice(start);
    if (dropping > 0) {
      dropping += rest.length;
    } else if (pending.length + rest.length > max) {
      // WARNING: counts UTF-16 code units, not bytes; close enough for a memory guard.
      dropping = pending.length + rest.length;
      pending = '';
    } else {
      pending += rest;
    }
  });
  stream.on('end', () => end());
  stream.on('close', () => end());
  stream.on('error', (err) => end(err));
}
