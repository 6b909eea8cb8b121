/**
 * The Manager starts every long-lived piece (informers, controllers, the API server, bridges) on
 * one AbortSignal; `stop()` aborts it and waits until every piece has returned, so a SIGTERM stops
 * everything cleanly. Pieces that must run on one replica at a time (cluster controllers) are added
 * with `addElected`: with a LeaderElector they run only while this replica leads, as fresh
 * instances each time it becomes leader; without one (the single-process daemon) they just run.
 */
import { setMaxListeners } from 'node:events';
import type { LeaderElector, LeaderStatus } from './leader-election.js';

/** Anything long-lived: runs until its signal aborts. */
export interface Runnable {
  readonly name: string;
  start(signal: AbortSignal): Promise<void>;
}

/** Makes the runnables of one term of leadership; called anew each time this replica becomes leader. */
export type ElectedFactory = () => Runnable[];

export class Manager {
  private readonly runnables: Runnable[] = [];
  private readonly elected: ElectedFactory[] = [];
  private elector?: LeaderElector;
  private readonly controller = new AbortController();
  private running: Promise<PromiseSettledResult<void>[]> | undefined;

  constructor(private readonly log: (line: string) => void = () => undefined) {}

  add(...runnables: Runnable[]): this {
    if (this.running) throw new Error('manager: add after start');
    this.runnables.push(...runnables);
    return this;
  }

  /**
   * Adds runnables that need leader election: `factory` is called each time this replica becomes
   * leader, its runnables stop (signal aborted, awaited) when leadership ends, and a later term
   * gets fresh ones — a controller starts again from a full list, so nothing queued is lost.
   */
  addElected(factory: ElectedFactory): this {
    if (this.running) throw new Error('manager: addElected after start');
    this.elected.push(factory);
    return this;
  }

  /** Runs the elected runnables only while `elector` holds its lease. */
  useLeaderElection(elector: LeaderElector): this {
    if (this.running) throw new Error('manager: useLeaderElection after start');
    this.elector = elector;
    return this;
  }

  /** True while elected runnables may run: this replica leads, or there is no election. */
  isLeader(): boolean {
    return this.elector ? this.elector.isLeader() : true;
  }

  /** The election as this replica sees it (for /readyz and metrics); undefined without one. */
  leaderStatus(): LeaderStatus | undefined {
    return this.elector?.status();
  }

  /** Starts every runnable; a runnable that fails is logged and the others keep running. */
  start(): void {
    const signal = this.controller.signal;
    // Every informer, controller worker and bridge listens on this one signal: one listener per
    // piece is by design, not the leak Node's default limit of 10 warns about.
    setMaxListeners(0, signal);
    const all = [...this.runnables];
    if (this.elected.length > 0) all.push(this.elector ? this.election(this.elector) : { name: 'elected', start: (s) => this.term(s) });
    this.running = Promise.allSettled(all.map((r) => this.supervise(r, signal)));
  }

  private async supervise(r: Runnable, signal: AbortSignal): Promise<void> {
    try {
      await r.start(signal);
    } catch (err) {
      if (!signal.aborted) this.log(`${r.name} stopped: ${(err as Error).stack ?? String(err)}`);
      throw err;
    }
  }

  /** One term of leadership: fresh elected runnables on `signal`, resolved once they all returned. */
  private async term(signal: AbortSignal): Promise<void> {
    setMaxListeners(0, signal);
    const runnables = this.elected.flatMap((make) => make());
    await Promise.allSettled(runnables.map((r) => this.supervise(r, signal)));
  }

  /** The campaign as a runnable: each term of leadership runs the elected runnables. */
  private election(elector: LeaderElector): Runnable {
    return {
      name: `leader-election/${elector.identity}`,
      start: async (signal) => {
        let current: Promise<void> | undefined;
        await elector.run(signal, {
          onStartedLeading: (leading) => {
            current = this.term(leading);
          },
          onStoppedLeading: async () => {
            await current;
            current = undefined;
          },
        });
      },
    };
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
