/**
 * The Manager starts every long-lived piece (informers, controllers, the API server, bridges) on
 * one AbortSignal; `stop()` aborts it and waits until every piece has returned, so a SIGTERM stops
 * everything cleanly.
 */
import { setMaxListeners } from 'node:events';

/** Anything long-lived: runs until its signal aborts. */
export interface Runnable {
  readonly name: string;
  start(signal: AbortSignal): Promise<void>;
}

export class Manager {
  private readonly runnables: Runnable[] = [];
  private readonly controller = new AbortController();
  private running: Promise<PromiseSettledResult<void>[]> | undefined;

  constructor(private readonly log: (line: string) => void = () => undefined) {}

  add(...runnables: Runnable[]): this {
    if (this.running) throw new Error('manager: add after start');
    this.runnables.push(...runnables);
    return this;
  }

  /** Starts every runnable; a runnable that fails is logged and the others keep running. */
  start(): void {
    const signal = this.controller.signal;
    // Every informer, controller worker and bridge listens on this one signal: one listener per
    // piece is by design, not the leak Node's default limit of 10 warns about.
    setMaxListeners(0, signal);
    this.running = Promise.allSettled(
      this.runnables.map(async (r) => {
        try {
          await r.start(signal);
        } catch (err) {
          if (!signal.aborted) this.log(`${r.name} stopped: ${(err as Error).stack ?? String(err)}`);
          throw err;
        }
      }),
    );
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Aborts the shared signal and waits for every runnable to return. */
  async stop(): Promise<void> {
    this.controller.abort();
    await this.running;
  }
}
