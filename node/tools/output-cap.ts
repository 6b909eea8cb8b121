/**
 * Bounded capture of command output: keeps the first and the last half of the cap, because the
 * start (what ran) and the end (the error) of a long log are what a model needs.
 */
export class HeadTailBuffer {
  private readonly half: number;
  private head: Buffer[] = [];
  private headSize = 0;
  private tail: Buffer[] = [];
  private tailSize = 0;
  private total = 0;

  constructor(capBytes: number) {
    this.half = Math.max(1, Math.floor(capBytes / 2));
  }

  /** Appends a chunk, dropping what falls between the head and the tail. */
  push(chunk: Buffer): void {
    this.total += chunk.length;
    if (this.headSize < this.half) {
      const take = chunk.subarray(0, this.half - this.headSize);
      this.head.push(take);
      this.headSize += take.length;
      chunk = chunk.subarray(take.length);
    }
    if (chunk.length === 0) return;
    this.tail.push(chunk);
    this.tailSize += chunk.length;
    while (this.tailSize - this.tail[0]!.length >= this.half) this.tailSize -= this.tail.shift()!.length;
  }

  /** Whether output was dropped. */
  get truncated(): boolean {
    return this.total > this.headSize + Math.min(this.tailSize, this.half);
  }

  /** Returns the kept output as text, with a marker where bytes were dropped. */
  text(): string {
    const head = Buffer.concat(this.head);
    let tail = Buffer.concat(this.tail);
    if (tail.length > this.half) tail = tail.subarray(tail.length - this.half);
    if (!this.truncated) return Buffer.concat([head, tail]).toString('utf8');
    const omitted = this.total - head.length - tail.length;
    return `${head.toString('utf8')}\n[... ${omitted} bytes of output omitted ...]\n${tail.toString('utf8')}`;
  }
}
