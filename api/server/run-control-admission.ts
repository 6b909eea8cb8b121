/**
 * Admission of the requests that steer a run — an Intervention (steer, interrupt, cancel) and a
 * change of a Run's `spec.suspend` (pause, resume) — against the run as stored: a run that has
 * ended (or is being deleted) has nothing left to steer, so the request is refused with 422
 * Invalid (the field that names the ended run: `spec.run`, `spec.suspend`) and nothing is stored.
 * Not 409 Conflict: that is what a write racing another one gets, and writes retry on it. The
 * CLI refuses the same requests before it sends them; this is what kubectl users (and a CLI
 * racing the run's end) get.
 *
 * An Intervention whose run does not exist yet is not refused here: the Intervention controller
 * records it Rejected, as before (the run may be created by the same apply).
 */
import type { KubeObject } from '../../resources/meta.js';
import { isTerminalPhase, type Run } from '../../resources/kinds/run.js';
import { ApiError, StatusReason } from '../errors.js';
import type { Store } from '../store/store.js';

/** What each request would have done, as its refusal says it: "nothing to steer". */
const VERB: Readonly<Record<string, string>> = { Steer: 'steer', Interrupt: 'interrupt', Cancel: 'cancel' };

/** `run "hello" is Completed: nothing to steer`, or undefined while the run can still be steered. */
export function endedRefusal(run: Pick<Run, 'metadata' | 'status'>, verb: string): string | undefined {
  if (run.metadata.deletionTimestamp) return `run "${run.metadata.name}" is being deleted: nothing to ${verb}`;
  const phase = run.status?.phase;
  return isTerminalPhase(phase) ? `run "${run.metadata.name}" is ${phase}: nothing to ${verb}` : undefined;
}

function refused(kind: string, name: string, field: string, why: string): ApiError {
  return new ApiError(StatusReason.Invalid, why, { name, group: 'sidekicks.dev', kind, causes: [{ reason: 'FieldValueForbidden', field, message: why }] });
}

/** Refuses an Intervention whose run has ended or is being deleted (422 Invalid). */
export async function admitIntervention(store: Store, obj: KubeObject): Promise<void> {
  const spec = (obj as { spec?: { run?: unknown; type?: unknown } }).spec;
  if (typeof spec?.run !== 'string' || typeof spec.type !== 'string') return;
  const run = await store.find<Run>('runs', obj.metadata.namespace ?? '', spec.run);
  const why = run && endedRefusal(run, VERB[spec.type] ?? 'steer');
  if (why) throw refused('Intervention', obj.metadata.name ?? obj.metadata.generateName ?? '', 'spec.run', why);
}

/** Refuses a pause or resume (`spec.suspend` changed) of a run that has ended (422 Invalid). */
export function admitRunUpdate(old: KubeObject, obj: KubeObject): void {
  const before = (old as Run).spec?.suspend ?? false;
  const after = (obj as Run).spec?.suspend ?? false;
  if (before === after) return;
  const phase = (old as Run).status?.phase;
  if (!isTerminalPhase(phase)) return;
  throw refused('Run', old.metadata.name ?? '', 'spec.suspend', `run "${old.metadata.name}" is ${phase}: nothing to ${after ? 'pause' : 'resume'}`);
}
