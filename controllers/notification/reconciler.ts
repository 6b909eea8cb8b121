/**
 * The NotificationSink reconciler. The world of a sink is its namespace's Approvals and Runs (the
 * shared informers' caches) and what its status records as already notified. Each pass: load →
 * forget it if deleting → resolve its transport (secrets, the notifier binary) → offer every owed,
 * not yet notified, not busy notification to the background Deliveries → report status. Delivery
 * itself never happens in the pass: a hanging webhook holds up nothing but its own queue.
 *
 * Dedupe is durable: `status.notified` holds the `<uid>/<event>` keys delivered (or given up on),
 * pruned to those whose object still waits, so a restarted daemon or a resync does not notify
 * twice (docs/decisions/0019-notifications.md).
 */
import type { EventRecorder } from '../../api/events/recorder.js';
import type { Store } from '../../api/store/store.js';
import type { Approval } from '../../resources/kinds/approval.js';
import type { NotificationSink, NotificationSinkStatus } from '../../resources/kinds/notificationsink.js';
import type { Run } from '../../resources/kinds/run.js';
import { setCondition } from '../../resources/conditions.js';
import { metaTime } from '../../resources/time.js';
import type { ObjectKey, Reconciler, Result } from '../runtime/controller.js';
import { systemClock, type Clock } from '../runtime/clock.js';
import type { StatusTarget, StatusWriter } from '../runtime/status-writer.js';
import type { Deliveries, DeliveryResult, RetryPolicy } from './delivery.js';
import { notificationsFor, type Notification } from './notifications.js';
import { isProblem, resolveTransport, type Notifiers, type TransportProblem } from './transports.js';

/** How soon a sink that cannot deliver (missing secret or notifier) looks again. */
export const RECHECK_MS = 30_000;

const SINKS = 'notificationsinks';
const target: StatusTarget<NotificationSink> = { plural: SINKS, sessionOf: () => undefined };

export interface NotificationReconcilerDeps {
  store: Store;
  status: StatusWriter;
  deliveries: Deliveries;
  notifiers: Notifiers;
  /** The approvals and runs of a namespace, as the informers hold them. */
  world(namespace: string): { approvals: readonly Approval[]; runs: readonly Run[] };
  recorder?: EventRecorder;
  clock?: Clock;
}

/** A sink's retry policy, from its (defaulted) spec. */
export function retryPolicy(sink: NotificationSink): RetryPolicy {
  return { maxAttempts: sink.spec.maxAttempts ?? 5, timeoutMs: (sink.spec.timeoutSeconds ?? 10) * 1000 };
}

/** The message of a True Ready condition, kept when a delivery (which does not resolve the transport) reports. */
function readyMessage(status: NotificationSinkStatus): string {
  const ready = status.conditions?.find((c) => c.type === 'Ready');
  return ready?.status === 'True' && ready.message ? ready.message : 'delivering';
}

/** Sets phase and the Ready condition from what the sink can do now and how its last delivery went. */
function setReadiness(status: NotificationSinkStatus, generation: number, now: number, can: TransportProblem | { describe: string } | undefined): void {
  const last = status.lastDelivery;
  const problem = can && 'reason' in can ? can : undefined;
  const ready = problem
    ? { status: 'False' as const, reason: problem.reason, message: problem.message }
    : last?.outcome === 'Failed'
      ? { status: 'False' as const, reason: 'DeliveryFailed', message: `${last.event} ${last.object}: ${last.error ?? 'failed'} (${last.attempts} attempts)` }
      : { status: 'True' as const, reason: 'Ready', message: can && 'describe' in can ? `delivers to ${can.describe}` : readyMessage(status) };
  status.phase = ready.status === 'True' ? 'Ready' : 'Failing';
  status.delivered ??= 0;
  status.failed ??= 0;
  status.conditions = setCondition(status.conditions, { type: 'Ready', ...ready }, generation, new Date(now));
}

export class NotificationSinkReconciler implements Reconciler {
  private readonly clock: Clock;

  constructor(private readonly d: NotificationReconcilerDeps) {
    this.clock = d.clock ?? systemClock;
  }

  async reconcile(key: ObjectKey): Promise<Result> {
    const sinkKey = `${key.namespace}/${key.name}`;
    // Busy first, status second: a delivery records its outcome before it stops being busy.
    const busy = this.d.deliveries.busy(sinkKey);
    const sink = await this.d.store.find<NotificationSink>(SINKS, key.namespace, key.name);
    if (!sink || sink.metadata.deletionTimestamp) {
      this.d.deliveries.forget(sinkKey);
      return {};
    }
    const { approvals, runs } = this.d.world(key.namespace);
    const owed = notificationsFor(sink, { approvals, runs, now: this.clock.now() });
    const transport = await resolveTransport(sink, this.d.notifiers, () => this.clock.now());
    if (!isProblem(transport)) {
      const done = new Set(sink.status?.notified ?? []);
      const policy = retryPolicy(sink);
      for (const n of owed) {
        if (done.has(n.key) || busy.has(n.key)) continue;
        // Full: the rest is offered on the pass a finished delivery triggers.
        if (!this.d.deliveries.offer(sinkKey, n, transport, policy)) break;
      }
    }
    await this.report(sink, owed, isProblem(transport) ? transport : { describe: transport.describe });
    return isProblem(transport) ? { requeueAfterMs: RECHECK_MS } : {};
  }

  /** Records a finished delivery: counts, the last delivery, the key as notified; a Warning Event when it failed. */
  async settled(sinkKey: string, r: DeliveryResult): Promise<void> {
    const [ns, name] = [sinkKey.slice(0, sinkKey.indexOf('/')), sinkKey.slice(sinkKey.indexOf('/') + 1)];
    const n = r.notification;
    const written = await this.d.status.commit<NotificationSink>(target, ns, name, (draft) => {
      const s = (draft.status ??= {});
      s.notified = [...(s.notified ?? []).filter((k) => k !== n.key), n.key];
      if (r.outcome === 'Delivered') s.delivered = (s.delivered ?? 0) + 1;
      else s.failed = (s.failed ?? 0) + 1;
      s.lastDelivery = { time: metaTime(r.at), event: n.event, object: n.object, outcome: r.outcome, attempts: r.attempts, ...(r.error ? { error: r.error } : {}) };
      setReadiness(s, draft.metadata.generation ?? 0, r.at, undefined);
      return [];
    });
    if (written && r.outcome === 'Failed') this.d.recorder?.warning(written, 'DeliveryFailed', `${n.event} ${n.object}: gave up after ${r.attempts} attempts: ${r.error ?? 'failed'}`);
  }

  /** Prunes `notified` to what still waits and sets readiness; writes only a change. */
  private async report(sink: NotificationSink, owed: Notification[], can: TransportProblem | { describe: string }): Promise<void> {
    const still = new Set(owed.map((n) => n.key));
    await this.d.status.commit<NotificationSink>(
      target,
      sink.metadata.namespace!,
      sink.metadata.name!,
      (draft) => {
        const before = JSON.stringify(draft.status ?? {});
        const s = (draft.status ??= {});
        const kept = (s.notified ?? []).filter((k) => still.has(k));
        if (kept.length > 0 || s.notified) s.notified = kept;
        setReadiness(s, draft.metadata.generation ?? 0, this.clock.now(), can);
        return JSON.stringify(s) === before && draft.status?.observedGeneration === draft.metadata.generation ? null : [];
      },
    );
  }
}
