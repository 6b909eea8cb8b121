/**
 * Leader election on a Lease object in the store, the way client-go's leaderelection does it:
 * candidates try to take the lease every retryPeriod; the holder renews it every retryPeriod and
 * gives up leading once it could not renew for renewDeadline; a lease is free when nobody holds it
 * or its holder has not renewed it for leaseDuration. Expiry is judged by each observer's own
 * clock, from the moment it last saw the lease change (its resourceVersion), never by comparing
 * the renewTime another replica wrote with local time — so clock skew between replicas does not
 * matter. Writes use optimistic concurrency (resourceVersion), so of two candidates only one wins.
 *
 * One departure, so a killed leader is replaced within leaseDuration of its last renewal rather
 * than up to two candidate polls later: a candidate sees a renewal at most one (jittered) poll
 * after it happened, so it counts the lease out that much earlier — at (first seen + leaseDuration
 * − the longest poll) — and tries again at that moment instead of at its next poll. This is safe
 * because a holder that cannot renew stops leading after renewDeadline, and renewDeadline must be
 * shorter than leaseDuration − the longest poll (invalidTimings).
 */
import { isReason, StatusReason } from '../../api/errors.js';
import type { Store } from '../../api/store/store.js';
import { COORDINATION_GROUP, type Lease, type LeaseSpec } from '../../resources/kinds/lease.js';
import { systemClock, type Clock } from './clock.js';

const LEASES = 'leases';
/** client-go's JitterFactor: candidates wait retryPeriod × (1 + up to 1.2) between tries. */
const JITTER = 1.2;

/** What leading starts and stops. */
export interface LeaderCallbacks {
  /** This replica became leader; `signal` aborts the moment leadership ends. */
  onStartedLeading(signal: AbortSignal): void;
  /** Leadership ended (lost, or released on stop); resolves once the work it started has stopped. */
  onStoppedLeading(): Promise<void> | void;
  /** The lease changed hands (observed by any replica), including to this one; '' when released. */
  onNewLeader?(identity: string): void;
}

export interface LeaderElectorOptions {
  store: Pick<Store, 'find' | 'create' | 'update'>;
  /** This replica's identity (`--replica-id`: the hostname, in Kubernetes the pod name). */
  identity: string;
  /** The Lease's name and namespace. */
  name: string;
  namespace?: string;
  /** How long a lease lasts without renewal; a whole number of seconds (Lease counts seconds). Default 15 s. */
  leaseDurationMs?: number;
  /** How long the leader keeps trying to renew before it stops leading. Default 10 s. */
  renewDeadlineMs?: number;
  /** How often candidates try to take the lease and the leader renews it. Default 2 s. */
  retryPeriodMs?: number;
  /** Hand the lease over on a graceful stop, so another replica takes over at once. Default true. */
  releaseOnCancel?: boolean;
  clock?: Clock;
  log?: (line: string) => void;
}

/** A snapshot for /readyz and metrics. */
export interface LeaderStatus {
  identity: string;
  leading: boolean;
  /** The holder this replica last observed ('' when the lease is free, undefined before the first look). */
  holder?: string;
  leaseTransitions?: number;
}

/** Kubernetes' MicroTime: RFC 3339 with six fractional digits. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, '000Z');
}

/** The longest wait between two tries of a candidate (retryPeriod plus its jitter). */
function longestPoll(retryMs: number): number {
  return retryMs * (1 + JITTER);
}

/**
 * Timings for a lease of `leaseDurationMs` in the proportions of client-go's defaults (15 s, 10 s,
 * 2 s): always valid for a whole number of seconds, at least 1 s (`--lease-duration`).
 */
export function timingsFor(leaseDurationMs: number): Pick<LeaderElectorOptions, 'leaseDurationMs' | 'renewDeadlineMs' | 'retryPeriodMs'> {
  return { leaseDurationMs, renewDeadlineMs: Math.floor((leaseDurationMs * 2) / 3), retryPeriodMs: Math.floor(leaseDurationMs / 7.5) };
}

/** Why leader election options cannot work, or undefined (client-go's NewLeaderElector checks). */
export function invalidTimings(leaseMs: number, renewMs: number, retryMs: number): string | undefined {
  if (!Number.isInteger(leaseMs / 1000) || leaseMs < 1000) return 'leaseDuration: must be a whole number of seconds, at least 1s';
  if (!(renewMs > 0) || !(retryMs > 0)) return 'renewDeadline and retryPeriod: must be positive';
  if (leaseMs <= renewMs) return 'leaseDuration: must be greater than renewDeadline';
  if (renewMs <= JITTER * retryMs) return `renewDeadline: must be greater than retryPeriod × ${JITTER}`;
  if (renewMs >= leaseMs - longestPoll(retryMs)) return `renewDeadline: must be shorter than leaseDuration − retryPeriod × ${1 + JITTER}`;
  return undefined;
}

export class LeaderElector {
  readonly identity: string;
  private readonly o: Required<Omit<LeaderElectorOptions, 'log'>> & { log: (line: string) => void };
  /** The lease as last read or written, and when (by our clock) we first saw that version. */
  private observed?: { lease: Lease; at: number };
  private leading = false;
  private lastHolder?: string;

  constructor(opts: LeaderElectorOptions) {
    this.o = {
      namespace: 'default',
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
      releaseOnCancel: true,
      clock: systemClock,
      log: () => undefined,
      ...opts,
    };
    const why = invalidTimings(this.o.leaseDurationMs, this.o.renewDeadlineMs, this.o.retryPeriodMs);
    if (why) throw new Error(why);
    this.identity = opts.identity;
  }

  /** True while this replica leads (between becoming leader and losing or releasing the lease). */
  isLeader(): boolean {
    return this.leading;
  }

  /** The holder this replica last observed ('' when free), undefined before its first look. */
  holder(): string | undefined {
    return this.observed ? (this.observed.lease.spec?.holderIdentity ?? '') : undefined;
  }

  status(): LeaderStatus {
    return { identity: this.identity, leading: this.leading, holder: this.holder(), leaseTransitions: this.observed?.lease.spec?.leaseTransitions };
  }

  /**
   * Campaigns until `signal` aborts: acquire, lead (renewing) until leadership is lost, stop
   * leading, campaign again. On abort, the work is stopped first and the lease released after,
   * so no two replicas ever work at once.
   */
  async run(signal: AbortSignal, callbacks: LeaderCallbacks): Promise<void> {
    const lease = `${this.o.namespace}/${this.o.name}`;
    while (!signal.aborted) {
      if (!(await this.acquire(signal, callbacks))) break;
      this.leading = true;
      this.o.log(`leader election: ${this.identity} became leader (lease ${lease})`);
      const leading = new AbortController();
      try {
        callbacks.onStartedLeading(leading.signal);
        await this.renew(signal, callbacks);
      } finally {
        this.leading = false;
        leading.abort();
        if (!signal.aborted) this.o.log(`leader election: ${this.identity} lost leadership (lease ${lease})`);
        await this.stopLeading(signal.aborted, callbacks);
      }
    }
    if (this.o.releaseOnCancel) await this.release();
  }

  /**
   * Waits for the work to stop. On a graceful stop the lease is still ours and is kept renewed
   * meanwhile, so no other replica starts its work before ours has stopped.
   */
  private async stopLeading(graceful: boolean, callbacks: LeaderCallbacks): Promise<void> {
    if (!graceful) return void (await callbacks.onStoppedLeading());
    const keep = new AbortController();
    const renewing = this.renew(keep.signal, callbacks);
    try {
      await callbacks.onStoppedLeading();
    } finally {
      keep.abort();
      await renewing;
    }
  }

  /** Tries until the lease is ours (true) or `signal` aborts (false). */
  private async acquire(signal: AbortSignal, callbacks: LeaderCallbacks): Promise<boolean> {
    while (!signal.aborted) {
      if (await this.tryAcquireOrRenew(callbacks)) return true;
      // The next poll, or the moment the holder's lease runs out if that comes first.
      const poll = this.o.retryPeriodMs * (1 + Math.random() * JITTER);
      const expiry = this.otherHoldsUntil();
      await this.wait(expiry === undefined ? poll : Math.max(0, Math.min(poll, expiry - this.o.clock.now())), signal);
    }
    return false;
  }

  /** Renews every retryPeriod; returns when leadership is lost or `signal` aborts. */
  private async renew(signal: AbortSignal, callbacks: LeaderCallbacks): Promise<void> {
    let renewed = this.o.clock.now();
    while (!signal.aborted) {
      await this.wait(this.o.retryPeriodMs, signal);
      if (signal.aborted) return;
      const left = renewed + this.o.renewDeadlineMs - this.o.clock.now();
      // A store call hanging on a dead connection must not keep us leading past the deadline.
      const ok = left > 0 && (await this.withTimeout(this.tryAcquireOrRenew(callbacks), left));
      if (ok) renewed = this.o.clock.now();
      else if (this.o.clock.now() - renewed >= this.o.renewDeadlineMs || this.heldByOther()) return;
    }
  }

  /** One attempt, as client-go's tryAcquireOrRenew: create, renew, or take over an expired lease. */
  private async tryAcquireOrRenew(callbacks: LeaderCallbacks): Promise<boolean> {
    const now = this.o.clock.now();
    const spec: LeaseSpec = {
      holderIdentity: this.identity,
      leaseDurationSeconds: this.o.leaseDurationMs / 1000,
      acquireTime: microTime(now),
      renewTime: microTime(now),
      leaseTransitions: 0,
    };
    try {
      const current = await this.o.store.find<Lease>(LEASES, this.o.namespace, this.o.name);
      if (!current) {
        const created = await this.o.store.create<Lease>(LEASES, {
          apiVersion: `${COORDINATION_GROUP}/v1`,
          kind: 'Lease',
          metadata: { name: this.o.name, namespace: this.o.namespace },
          spec,
        });
        this.observe(created, callbacks);
        return true;
      }
      this.observe(current, callbacks);
      const old = current.spec ?? {};
      const mine = old.holderIdentity === this.identity;
      if (!mine && this.heldByOther()) return false;
      if (mine) spec.acquireTime = old.acquireTime ?? spec.acquireTime;
      spec.leaseTransitions = (old.leaseTransitions ?? 0) + (mine ? 0 : 1);
      const updated = await this.o.store.update<Lease>(LEASES, { ...current, spec });
      this.observe(updated, callbacks);
      return true;
    } catch (err) {
      // Another candidate wrote first (Conflict, AlreadyExists): simply not ours this time.
      if (!isReason(err, StatusReason.Conflict) && !isReason(err, StatusReason.AlreadyExists)) {
        this.o.log(`leader election: ${this.identity} could not ${this.leading ? 'renew' : 'acquire'} the lease: ${(err as Error).message}`);
      }
      return false;
    }
  }

  /** True when the observed lease names another holder who, by our clock, may still be renewing. */
  private heldByOther(): boolean {
    const until = this.otherHoldsUntil();
    return until !== undefined && until > this.o.clock.now();
  }

  /**
   * When, by our clock, another holder's lease runs out: a whole duration after the renewal we saw
   * last, which happened at most one poll before we saw it. Undefined when nobody else holds it.
   */
  private otherHoldsUntil(): number | undefined {
    const spec = this.observed?.lease.spec;
    if (!spec?.holderIdentity || spec.holderIdentity === this.identity) return undefined;
    return this.observed!.at + (spec.leaseDurationSeconds ?? 0) * 1000 - longestPoll(this.o.retryPeriodMs);
  }

  /** Records a version of the lease; its clock starts when we first see that version. */
  private observe(lease: Lease, callbacks: LeaderCallbacks): void {
    if (this.observed?.lease.metadata.resourceVersion !== lease.metadata.resourceVersion) {
      this.observed = { lease, at: this.o.clock.now() };
    }
    const holder = lease.spec?.holderIdentity ?? '';
    if (holder !== this.lastHolder) {
      this.lastHolder = holder;
      if (holder !== this.identity) this.o.log(`leader election: ${this.identity} sees the lease ${this.o.namespace}/${this.o.name} held by ${holder || 'nobody'}`);
      callbacks.onNewLeader?.(holder);
    }
  }

  /** Gives the lease up (holder cleared, duration 1 s) so another candidate takes it at its next try. */
  private async release(): Promise<void> {
    const lease = this.observed?.lease;
    if (!lease || lease.spec?.holderIdentity !== this.identity) return;
    const now = microTime(this.o.clock.now());
    try {
      const released = await this.o.store.update<Lease>(LEASES, {
        ...lease,
        spec: { leaseDurationSeconds: 1, acquireTime: now, renewTime: now, leaseTransitions: lease.spec?.leaseTransitions ?? 0 },
      });
      this.observed = { lease: released, at: this.o.clock.now() };
      this.o.log(`leader election: ${this.identity} released the lease ${this.o.namespace}/${this.o.name}`);
    } catch (err) {
      // Not ours any more, or the store is gone: the lease then simply expires.
      this.o.log(`leader election: ${this.identity} could not release the lease: ${(err as Error).message}`);
    }
  }

  private wait(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const done = (): void => {
        cancel();
        signal.removeEventListener('abort', done);
        resolve();
      };
      const cancel = this.o.clock.setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  private withTimeout(attempt: Promise<boolean>, ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const cancel = this.o.clock.setTimeout(() => resolve(false), ms);
      void attempt.then((ok) => {
        cancel();
        resolve(ok);
      });
    });
  }
}
