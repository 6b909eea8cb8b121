/**
 * The one helper for Kubernetes-style conditions: `lastTransitionTime` moves only when a
 * condition's status flips, and `observedGeneration` is always stamped, so `kubectl wait` and
 * `describe` read what controllers meant.
 */
import type { Condition, ConditionStatus } from './meta.js';
import { metaTime } from './time.js';

/** The fields a controller decides; times and generation are filled in by {@link setCondition}. */
export interface ConditionUpdate {
  type: string;
  status: ConditionStatus;
  reason?: string;
  message?: string;
}

/**
 * Sets a condition and returns a new array (the input is not modified). lastTransitionTime is
 * kept when the status is unchanged and set to `now` when it flips or the condition is new.
 */
export function setCondition(
  conditions: Condition[] | undefined,
  c: ConditionUpdate,
  observedGeneration: number,
  now: Date = new Date(),
): Condition[] {
  const list = conditions ?? [];
  const existing = list.find((x) => x.type === c.type);
  const next: Condition = {
    type: c.type,
    status: c.status,
    ...(c.reason !== undefined ? { reason: c.reason } : {}),
    ...(c.message !== undefined ? { message: c.message } : {}),
    lastTransitionTime:
      existing && existing.status === c.status && existing.lastTransitionTime ? existing.lastTransitionTime : metaTime(now),
    observedGeneration,
  };
  return existing ? list.map((x) => (x === existing ? next : { ...x })) : [...list.map((x) => ({ ...x })), next];
}

/** Returns the condition of this type, or undefined. */
export function findCondition(conditions: Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

/** Tells whether the condition of this type exists with status True. */
export function isConditionTrue(conditions: Condition[] | undefined, type: string): boolean {
  return findCondition(conditions, type)?.status === 'True';
}

