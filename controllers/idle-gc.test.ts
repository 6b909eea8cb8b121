import { describe, it, expect } from '@jest/globals';
import { engineGc, startIdleGc } from './idle-gc.js';
import { eventually } from '../test/eventually.js';

describe('idle-time collection', () => {
  it('never collects during a busy interval, and collects once the loop goes idle after it', async () => {
    let calls = 0;
    const stop = startIdleGc({ intervalMs: 20, minGrowthBytes: Number.MAX_SAFE_INTEGER, gc: () => void calls++ });
    try {
      // No growth and no activity yet: nothing to collect.
      await new Promise((r) => setImmediate(r));
      expect(calls).toBe(0);
      // A whole interval of synchronous work: the tick after it sees a busy loop, not an idle one.
      const until = Date.now() + 60;
      while (Date.now() < until);
      await eventually(() => calls >= 1);
    } finally {
      stop();
    }
  });

  it('reaches the engine collector without --expose-gc', () => {
    const gc = engineGc();
    expect(typeof gc).toBe('function');
    expect(() => gc()).not.toThrow();
  });
});
