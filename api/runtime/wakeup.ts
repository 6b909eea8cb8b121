/**
 * A loop's doorbell: `ring()` from anywhere, `wait(ms, signal)` resolves at the first ring since
 * the last wait, after `ms`, or on abort — whichever comes first. A ring while the loop is busy is
 * remembered, so work that arrives mid-pass is never slept through.
 */
export class Wakeup {
  private rung = false;
  private wake: (() => void) | undefined;

  ring(): void {
    this.rung = true;
    this.wake?.();
  }

  async wait(ms: number, signal: AbortSignal): Promise<void> {
    if (this.rung || signal.aborted) {
      this.rung = false;
      return;
    }
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
      this.wake = done;
    });
    this.rung = false;
  }
}

/** Sleeps `ms`, or less when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Wakeup().wait(ms, signal);
}
