/**
 * kubectl's generic describe layout for custom resources: Name, Namespace, Labels, Annotations,
 * then every top-level field sorted (API Version, Kind, Metadata, Spec, Status) with nested maps
 * indented two spaces a level and labels in Title Case, the status conditions as a table, and the
 * object's Events. Aligned with kubectl's describe tabwriter settings.
 */
import type { KubeObject, Condition } from '../../resources/meta.js';
import { DESCRIBE_LAYOUT, TabWriter } from '../printers/tabwriter.js';
import { humanDuration } from '../printers/age.js';
import { smartLabelFor } from './labels.js';

/** A core/v1 Event as the API serves it (fields describe reads). */
export interface CoreEvent {
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  firstTimestamp?: string;
  lastTimestamp?: string;
  eventTime?: string;
  source?: { component?: string };
  reportingController?: string;
  reportingComponent?: string;
  involvedObject?: { kind?: string; name?: string; uid?: string };
  metadata?: { creationTimestamp?: string };
}

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
const SKIPPED = new Set(['.metadata.name', '.metadata.namespace', '.metadata.labels', '.metadata.annotations', '.metadata.managedFields']);

class PrefixWriter {
  constructor(readonly w: TabWriter) {}
  write(level: number, text: string): void {
    this.w.write('  '.repeat(level) + text);
  }
}

/** Renders one object (and its events, when fetched: undefined skips the section). */
export function describeObject(obj: KubeObject, events: CoreEvent[] | undefined, now = Date.now()): string {
  const tw = new TabWriter(DESCRIBE_LAYOUT);
  const w = new PrefixWriter(tw);
  w.write(0, `Name:\t${obj.metadata.name ?? ''}\n`);
  if (obj.metadata.namespace !== undefined) w.write(0, `Namespace:\t${obj.metadata.namespace}\n`);
  printMultiline(w, 'Labels', obj.metadata.labels, (k, v) => `${k}=${v}`);
  const annotations = { ...(obj.metadata.annotations ?? {}) };
  delete annotations[LAST_APPLIED];
  printMultiline(w, 'Annotations', annotations, (k, v) => `${k}: ${v}`);
  printContent(w, 0, obj as unknown as Record<string, unknown>, '', now);
  if (events) describeEvents(w, events, now);
  return tw.flush();
}

function printMultiline(w: PrefixWriter, title: string, map: Record<string, string> | undefined, fmt: (k: string, v: string) => string): void {
  const keys = Object.keys(map ?? {}).sort();
  if (keys.length === 0) {
    w.write(0, `${title}:\t<none>\n`);
    return;
  }
  keys.forEach((k, i) => writeValue(w, 0, i === 0 ? `${title}:` : '', fmt(k, map![k])));
}

/**
 * Writes `head` and a value in the value column; a multi-line value keeps every line in that
 * column (kubectl's tabwriter would otherwise start its later lines at the left margin). Tabs in
 * the value become spaces: to the tabwriter they would be column breaks.
 */
function writeValue(w: PrefixWriter, level: number, head: string, value: string): void {
  const lines = value.replace(/\t/g, '    ').replace(/\n+$/, '').split('\n');
  lines.forEach((line, i) => w.write(level, `${i === 0 ? head : ''}\t${line}\n`));
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function printContent(w: PrefixWriter, level: number, content: Record<string, unknown>, prefix: string, now: number): void {
  for (const field of Object.keys(content).sort()) {
    const path = `${prefix}.${field}`;
    if (SKIPPED.has(path)) continue;
    const value = content[field];
    if (field === 'conditions' && Array.isArray(value) && value.every((c) => isMap(c) && 'type' in c)) {
      printConditions(w, level, value as Condition[], now);
    } else if (isMap(value)) {
      w.write(level, `${smartLabelFor(field)}:\n`);
      printContent(w, level + 1, value, path, now);
    } else if (Array.isArray(value)) {
      w.write(level, `${smartLabelFor(field)}:\n`);
      for (const item of value) {
        if (isMap(item)) printContent(w, level + 1, item, path, now);
        else {
          // A multi-line item: later lines two spaces further in, so each item stays one block.
          const [first, ...more] = scalar(item).replace(/\n+$/, '').split('\n');
          w.write(level + 1, `${first}\n`);
          for (const line of more) w.write(level + 2, `${line}\n`);
        }
      }
    } else {
      writeValue(w, level, `${smartLabelFor(field)}:`, scalar(value));
    }
  }
}

function scalar(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function printConditions(w: PrefixWriter, level: number, conditions: Condition[], now: number): void {
  w.write(level, 'Conditions:\n');
  w.write(level + 1, 'Type\tStatus\tReason\tAge\tMessage\n');
  w.write(level + 1, '----\t------\t------\t---\t-------\n');
  for (const c of conditions) {
    const age = c.lastTransitionTime ? humanDuration(now - Date.parse(c.lastTransitionTime)) : '<unknown>';
    w.write(level + 1, `${c.type}\t${c.status}\t${c.reason ?? ''}\t${age}\t${(c.message ?? '').trim()}\n`);
  }
}

/** Ages as kubectl prints event ages (HumanDuration): `2m3s`, or `3m (x5 over 10m)` for repeated events. */
export function eventAge(e: CoreEvent, now: number, format: (ms: number) => string = humanDuration): string {
  const since = (t: string | undefined): string => (t ? format(now - Date.parse(t)) : '<unknown>');
  const first = e.firstTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp;
  const last = e.lastTimestamp ?? first;
  if ((e.count ?? 1) > 1) return `${since(last)} (x${e.count} over ${since(first)})`;
  return since(first);
}

function describeEvents(w: PrefixWriter, events: CoreEvent[], now: number): void {
  if (events.length === 0) {
    w.write(0, 'Events:\t<none>\n');
    return;
  }
  const time = (e: CoreEvent): number => Date.parse(e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? '') || 0;
  const sorted = [...events].sort((a, b) => time(a) - time(b));
  w.write(0, 'Events:\n  Type\tReason\tAge\tFrom\tMessage\n');
  w.write(1, '----\t------\t----\t----\t-------\n');
  for (const e of sorted) {
    const from = e.source?.component || e.reportingController || e.reportingComponent || '';
    w.write(1, `${e.type ?? ''}\t${e.reason ?? ''}\t${eventAge(e, now)}\t${from}\t${(e.message ?? '').trim()}\n`);
  }
}
