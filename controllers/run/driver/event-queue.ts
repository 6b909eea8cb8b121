/**
 * A single-consumer async queue: producers push without waiting, one `for await` loop drains in
 * order, and the loop ends after `end()` once everything pushed before it has been read.
 */
export class AsyncQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private ended = false;
  private wake?: () => void;
  private iterating = false;

  push(item: T): void {
    if (this.ended) return;
    this.items.push(item);
    this.wake?.();
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
    for (;;) {
      if (this.items.length > 0) {
        yield this.items.shift()!;
        continue;
      }
      if (this.ended) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }
}
