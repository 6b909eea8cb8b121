import { describe, it, expect } from '@jest/globals';
import { AsyncQueue } from './event-queue.js';

describe('AsyncQueue.taken', () => {
  it('resolves once the consumer has handled everything pushed before it', async () => {
    const q = new AsyncQueue<number>();
    const handled: number[] = [];
    const consumer = (async () => {
      for await (const n of q) handled.push(n);
    })();
    q.push(1);
    q.push(2);
    await q.taken();
    expect(handled).toEqual([1, 2]);
    q.end();
    await consumer;
  });

  it('does not wait without a consumer, or after the consumer left its loop', async () => {
    const idle = new AsyncQueue<number>();
    idle.push(1);
    await expect(idle.taken()).resolves.toBeUndefined();
    const q = new AsyncQueue<number>();
    const consumer = (async () => {
      for await (const n of q) if (n === 1) break;
    })();
    q.push(1);
    q.push(2);
    await consumer;
    await expect(q.taken()).resolves.toBeUndefined();
  });
});
