/**
 * Labels that carry an object's name (the run an Approval belongs to, the channel a turn's run
 * answers): the one place such label values are derived. Object names may be 253 characters, label
 * values only 63; a name copied into a label as is made the object unwritable — every later update
 * (an approve, a cancel) failed validation with 422 and the run stayed stuck. A name that is a
 * valid label value is used as is, so selectors stay readable; a longer one becomes a truncation
 * of it plus a hash of the whole name, still unique and still derivable from the name alone, so
 * `nameSelector(NameLabel.Run, run)` finds what `nameLabels({ [NameLabel.Run]: run })` labelled.
 */
import { createHash } from 'node:crypto';
import { labelValue as labelValueErrors } from './names.js';

/** The labels whose value is derived from an object's name. */
export const NameLabel = {
  Run: 'sidekicks.dev/run',
  Session: 'sidekicks.dev/session',
  Channel: 'sidekicks.dev/channel',
  Workflow: 'sidekicks.dev/workflow',
  Phase: 'sidekicks.dev/phase',
} as const;
export type NameLabel = (typeof NameLabel)[keyof typeof NameLabel];

const MAX_LABEL_VALUE = 63;
const HASH_CHARS = 10;

/** The label value that stands for `name`: the name when it is a valid label value, else a truncation of it plus a hash of the whole. */
export function nameLabelValue(name: string): string {
  if (labelValueErrors('', '', name).length === 0) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, HASH_CHARS);
  const head = name
    .slice(0, MAX_LABEL_VALUE - HASH_CHARS - 1)
    .replace(/[^-A-Za-z0-9_.]/g, '-')
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
  return head ? `${head}-${hash}` : hash;
}

/** Labels for the names given, each value derived by {@link nameLabelValue}. */
export function nameLabels(names: Partial<Record<NameLabel, string>>): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [key, name] of Object.entries(names)) if (name !== undefined) labels[key] = nameLabelValue(name);
  return labels;
}

/** The label selector that finds what is labelled with `name` under `label`. */
export function nameSelector(label: NameLabel, name: string): string {
  return `${label}=${nameLabelValue(name)}`;
}
