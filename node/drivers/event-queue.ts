/**
 * A single-consumer async queue: producers push without waiting, one `for await` loop drains in
 * order, and the loop ends after `end()` once everything pushed before it has been read.
 */
export class AsyncQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private ended = false;
  private wake?: () => void;
  private iterating = false;
  private emptied: (() => void)[] = [];

  push(item: T): void {
    if (this.ended) return;
    this.items.push(item);
    this.wake?.();
  }

  /**
   * Resolves once the consumer has taken everything pushed so far (and finished with each item
   * before asking for the next one), or at once when there is nothing waiting.
   */
  taken(): Promise<void> {
    // Without a consumer (not started, or ended) there is nobody to wait for.
    if (!this.iterating || this.ended || (this.items.length === 0 && this.wake !== undefined)) return Promise.resolve();
    return new Promise((resolve) => this.emptied.push(resolve));
  }

  /** Ends the queue: the consumer sees what was pushed so far, then stops. */
  end(): void {
    this.ended = true;
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    // WARNING: single consumer. A second loop would silently steal items from the first.
    if (this.iterating) throw new Error('AsyncQueue supports one consumer');
    this.iterating = true;
    try {
      for (;;) {
        if (this.items.length > 0) {
          yield this.items.shift()!;
          continue;
        }
        for (const resolve of this.emptied.splice(0)) resolve();
        if (this.ended) return;
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
      }
    } finally {
      // The consumer left (done, or broke out of its loop): nobody waits on it any more.
      this.ended = true;
      for (const resolve of this.emptied.splice(0)) resolve();
    }
  }
}
