/**
 * The live driver processes of this daemon, one per run uid, and the pump that feeds each one's
 * events, in order, to a handler. Only what is running now lives here; everything a restarted
 * daemon needs (phase, checkpoint, journal) is in the store.
 */
import { isReason, StatusReason } from '../api/errors.js';
import type { DriverEvent } from './drivers/contract.js';
import type { DriverHandle, DriverHooks, DriverLauncher, LaunchRequest } from './ports.js';

export interface FleetEntry {
  handle: DriverHandle;
  /** Set when we stop the process on purpose (pause, cancel, finish): its exit is not a crash. */
  stopping: boolean;
  /** Last time the driver produced any event (idle timeout). */
  lastOutputAt: number;
}

/** Called for each event of a run's driver, one at a time, in order. */
export type EventHandler = (runUid: string, event: DriverEvent, entry: FleetEntry) => Promise<void>;

/** Attempts for an event whose handling fails for another reason than a store fault. */
const MAX_HANDLER_ATTEMPTS = 5;
const RETRY_BASE_MS = 50;
const RETRY_MAX_MS = 2000;

export class DriverFleet {
  private readonly entries = new Map<string, FleetEntry>();
  private readonly pumps = new Map<string, Promise<void>>();

  constructor(
    private readonly launcher: DriverLauncher,
    private readonly onEvent: EventHandler,
    private readonly log: (line: string) => void = () => undefined,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
    /** The time `lastOutputAt` is read on: the controllers' clock, so idle timeouts are tested without waiting. */
    private readonly now: () => number = () => Date.now(),
  ) {}

  get(runUid: string): FleetEntry | undefined {
    return this.entries.get(runUid);
  }

  has(runUid: string): boolean {
    return this.entries.has(runUid);
  }

  /** Starts a driver process for a run; its events go to the handler in order. */
  async launch(runUid: string, req: LaunchRequest, onPermission: DriverHooks['onPermission']): Promise<FleetEntry> {
    const existing = this.entries.get(runUid);
    if (existing) return existing;
    let entry: FleetEntry | undefined;
    const early: DriverEvent[] = [];
    const hooks: DriverHooks = {
      onEvent: (event) => {
        if (!entry) {
          early.push(event);
          return;
        }
        this.enqueue(runUid, entry, event);
      },
      onPermission,
    };
    const handle = await this.launcher.launch(req, hooks);
    entry = { handle, stopping: false, lastOutputAt: this.now() };
    this.entries.set(runUid, entry);
    for (const e of early) this.enqueue(runUid, entry, e);
    void handle.exited.then(() => {
      if (this.entries.get(runUid) === entry) this.entries.delete(runUid);
    });
    return entry;
  }

  /** Stops a run's driver on purpose and waits for the process to exit. */
  async stop(runUid: string, mode: 'interrupt' | 'close' = 'close'): Promise<void> {
    const entry = this.entries.get(runUid);
    if (!entry) return;
    entry.stopping = true;
    try {
      if (mode === 'interrupt') await entry.handle.interrupt();
    } catch (err) {
      this.log(`driver ${runUid}: interrupt failed: ${(err as Error).message}`);
    }
    await entry.handle.close();
    await entry.handle.exited;
    this.entries.delete(runUid);
  }

  /** Waits until every queued event of a run has been handled. */
  async drain(runUid: string): Promise<void> {
    await this.pumps.get(runUid);
  }

  /** Stops every driver (daemon shutdown); runs stay in their phase and recover at the next start. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.entries.keys()].map((uid) => this.stop(uid, 'close')));
  }

  private enqueue(runUid: string, entry: FleetEntry, event: DriverEvent): void {
    entry.lastOutputAt = this.now();
    const previous = this.pumps.get(runUid) ?? Promise.resolve();
    const next = previous.then(() => this.deliver(runUid, entry, event));
    this.pumps.set(runUid, next);
  }

  /**
   * Hands one event to the handler until it takes it. A store that is busy or full (503/507) is
   * waited out, with backoff, for as long as it takes: the pump holds the later events, so order
   * is kept and nothing the driver said is lost (a dropped completion would leave the run Running
   * for ever). Any other failure is a bug in handling that event: retried a few times, then logged.
   */
  private async deliver(runUid: string, entry: FleetEntry, event: DriverEvent): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.onEvent(runUid, event, entry);
        return;
      } catch (err) {
        const storeFault = isReason(err, StatusReason.ServiceUnavailable) || isReason(err, StatusReason.InsufficientStorage);
        if (!storeFault && attempt >= MAX_HANDLER_ATTEMPTS) {
          this.log(`driver ${runUid}: handling ${event.type} failed ${attempt} times, giving up on it: ${(err as Error).stack ?? String(err)}`);
          return;
        }
        if (attempt === 1 || attempt % 10 === 0) this.log(`driver ${runUid}: handling ${event.type} failed (attempt ${attempt}, retrying): ${(err as Error).message}`);
        await this.sleep(Math.min(RETRY_BASE_MS * 2 ** Math.min(attempt - 1, 10), RETRY_MAX_MS));
      }
    }
  }
}
