/**
 * Lines typed on the terminal, one answer at a time, for the questions `logs -f` and `run` ask in
 * place. A line typed while no question is showing is dropped: it answered nothing on screen, and
 * must not silently answer the next approval.
 */
import { createInterface, type Interface } from 'node:readline';
import type { Readable } from 'node:stream';

export class LineReader {
  private readonly rl: Interface;
  private waiter?: (line: string | undefined) => void;
  private closed = false;

  constructor(input: Readable) {
    this.rl = createInterface({ input, terminal: false, crlfDelay: Infinity });
    this.rl.on('line', (line) => {
      const w = this.waiter;
      this.waiter = undefined;
      w?.(line);
    });
    this.rl.on('close', () => {
      this.closed = true;
      const w = this.waiter;
      this.waiter = undefined;
      w?.(undefined);
    });
  }

  /**
   * The next line typed, or undefined when input ends or `signal` aborts. Waiting starts before
   * `prompt` is shown, so an answer typed the moment the prompt appears is not lost.
   */
  next(signal: AbortSignal, prompt: () => void): Promise<string | undefined> {
    if (this.closed || signal.aborted) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const onAbort = (): void => {
        this.waiter = undefined;
        resolve(undefined);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiter = (line) => {
        signal.removeEventListener('abort', onAbort);
        resolve(line);
      };
      prompt();
    });
  }

  /** True once input has ended (Ctrl-D, or a closed pipe). */
  get ended(): boolean {
    return this.closed;
  }

  close(): void {
    this.rl.close();
  }
}
