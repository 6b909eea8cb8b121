/**
 * Writes a queued run's place in its session's queue. What the place is — admission, order,
 * positions — is decided by the session queue (resources/run-queue.ts, ./session-queue.ts).
 */
import type { Run } from '../../resources/kinds/run.js';
import { RunPhase } from '../../resources/kinds/run.js';
import type { RunWriter } from './run-writer.js';
import { controllerActor, moveRun } from './run-status.js';

/** Records that a queued run waits at `position` (its first observation is journalled as run.Queued). */
export async function queueAt(writer: RunWriter, ns: string, run: Run, position: number, opts: { keepReason?: boolean } = {}): Promise<void> {
  await writer.commit(ns, run.metadata.name!, (r) => {
    if ((r.status?.phase ?? RunPhase.Queued) !== RunPhase.Queued) return null;
    if (r.status?.phase === RunPhase.Queued && r.status.queuePosition === position) return null;
    const first = r.status?.phase === undefined;
    // Moving a run in the queue (keepReason) leaves what else it waits for (its agent, the session
    // budget) as it is; its own admission decision says it waits for a slot.
    const waitsFor = opts.keepReason && r.status?.conditions?.find((c) => c.type === 'Admitted' && c.status === 'False' && c.reason !== 'QueueFull');
    moveRun(r, {
      phase: RunPhase.Queued,
      ...(waitsFor ? {} : { condition: { type: 'Admitted', status: 'False', reason: 'QueueFull', message: `waiting for a slot in session ${run.spec.session} (position ${position})` } }),
    });
    r.status!.queuePosition = position;
    return first ? [{ type: 'run.Queued', actor: controllerActor, payload: { queuePosition: position } }] : [];
  });
}
