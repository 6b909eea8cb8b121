/** Time behind an interface, so reconciler tests can step it instead of sleeping. */
import { clampedTimeout } from '../../api/timers.js';

export interface Clock {
  now(): number;
  /**
   * Schedules `fn`; returns a cancel function. Timers never keep the process alive, and a delay
   * longer than Node can wait (api/timers.ts) fires at that limit instead of after 1 ms.
   */
  setTimeout(fn: () => void, ms: number): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = clampedTimeout(fn, ms);
    t.unref();
    return () => clearTimeout(t);
  },
};

/** A clock tests advance by hand: timers fire, in order, when `advance` passes their time. */
export class ManualClock implements Clock {
  private current: number;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private nextId = 0;

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): () => void {
    const id = this.nextId++;
    this.timers.push({ at: this.current + ms, fn, id });
    return () => {
      this.timers = this.timers.filter((t) => t.id !== id);
    };
  }

  /** Moves time forward, firing every timer that falls due. */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at || a.id - b.id);
      const next = this.timers[0];
      if (!next || next.at > target) break;
      this.timers.shift();
      this.current = next.at;
      next.fn();
    }
    this.current = target;
  }
}
