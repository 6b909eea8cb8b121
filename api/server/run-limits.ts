/**
 * The limits a new Run is checked against before it is stored (DOMAIN.md, Runs), like
 * kube-apiserver's ResourceQuota admission: they depend on other objects, so they are checked
 * against the store, one create per session at a time, and a refusal is a 403 naming the limit.
 *
 * - Queue: a session holds at most `maxActiveRuns + maxQueuedRuns` unfinished runs; one more would
 *   have to wait beyond `maxQueuedRuns`, so its create is refused.
 * - Delegation: a child run (`spec.parent`) names a run of the same session that has not ended and
 *   is not itself a child (one level deep), and a parent has at most three children.
 */
import type { KubeObject } from '../../resources/meta.js';
import { isTerminalPhase, type Run } from '../../resources/kinds/run.js';
import { sessionLimits, type Session } from '../../resources/kinds/session.js';
import { ApiError, StatusReason } from '../errors.js';
import type { Store } from '../store/store.js';

/** Children a parent run may have (DOMAIN.md). */
export const MAX_CHILD_RUNS = 3;

function forbidden(run: Run, why: string): ApiError {
  return new ApiError(StatusReason.Forbidden, `runs "${run.metadata.name ?? run.metadata.generateName ?? ''}" is forbidden: ${why}`, {
    name: run.metadata.name,
    kind: 'runs',
    group: 'sidekicks.dev',
  });
}

/** The key that serializes creates whose limits depend on each other: one session. */
export function runLimitsKey(obj: KubeObject): string {
  const spec = (obj as Run).spec;
  return `${obj.metadata.namespace ?? ''}/${typeof spec?.session === 'string' ? spec.session : ''}`;
}

/** Throws 403 Forbidden when storing `run` would break its session's queue limit or the delegation rules. */
export async function checkRunLimits(store: Store, run: Run): Promise<void> {
  const namespace = run.metadata.namespace ?? '';
  const session = await store.find<Session>('sessions', namespace, run.spec.session);
  const siblings = (await store.list<Run>('runs', { namespace, fieldSelector: `spec.session=${run.spec.session}` })).items.filter(
    (r) => !r.metadata.deletionTimestamp,
  );
  const limits = sessionLimits(session);
  const unfinished = siblings.filter((r) => !isTerminalPhase(r.status?.phase)).length;
  if (unfinished >= limits.maxActiveRuns + limits.maxQueuedRuns) {
    throw forbidden(
      run,
      `session "${run.spec.session}" already has ${unfinished} unfinished runs (limits.maxActiveRuns ${limits.maxActiveRuns} + limits.maxQueuedRuns ${limits.maxQueuedRuns}); wait for runs to finish or raise the limit`,
    );
  }
  if (run.spec.parent !== undefined) checkParent(run, siblings);
}

function checkParent(run: Run, siblings: Run[]): void {
  const parentName = run.spec.parent!;
  const parent = siblings.find((r) => r.metadata.name === parentName);
  if (!parent) throw forbidden(run, `spec.parent: run "${parentName}" is not a run of session "${run.spec.session}"`);
  if (parent.spec.parent !== undefined) {
    throw forbidden(run, `spec.parent: run "${parentName}" is itself a child of "${parent.spec.parent}"; delegation is one level deep`);
  }
  if (isTerminalPhase(parent.status?.phase)) throw forbidden(run, `spec.parent: run "${parentName}" has ended (${parent.status!.phase})`);
  const children = siblings.filter((r) => r.spec.parent === parentName).length;
  if (children >= MAX_CHILD_RUNS) throw forbidden(run, `spec.parent: run "${parentName}" already has ${children} children (at most ${MAX_CHILD_RUNS})`);
}
