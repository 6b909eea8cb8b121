/**
 * `metadata.managedFields` bookkeeping: which manager owns which fields after a create, an update
 * or a server-side apply, and the apply conflict check — the parts of kube-apiserver's field
 * manager that kubectl and controllers observe.
 */
import type { ManagedFieldsEntry } from '../../resources/meta.js';
import { ApiError, isReason, StatusReason } from '../errors.js';
import {
  changedFields,
  displayPath,
  fieldsOf,
  fromFieldsV1,
  isLeaf,
  statusFieldsOf,
  toFieldsV1,
  valueAt,
  type FieldSet,
} from './fieldset.js';
import { jsonEqual } from '../../resources/json-equal.js';
import type { ListKeys } from './list-keys.js';
import { metaTime } from '../../resources/time.js';

type Obj = Record<string, unknown>;

/** One manager's ownership, decoded. */
interface Owner {
  manager: string;
  operation: 'Apply' | 'Update';
  subresource?: string;
  apiVersion?: string;
  time?: string;
  fields: FieldSet;
}


function decode(entries: ManagedFieldsEntry[] | undefined): Owner[] {
  return (entries ?? []).map((e) => ({
    manager: e.manager,
    operation: e.operation,
    subresource: e.subresource,
    apiVersion: e.apiVersion,
    time: e.time,
    fields: fromFieldsV1(e.fieldsV1 ?? {}),
  }));
}

function encode(owners: Owner[]): ManagedFieldsEntry[] {
  return owners
    .filter((o) => o.fields.size > 0)
    .map((o) => ({
      manager: o.manager,
      operation: o.operation,
      ...(o.apiVersion ? { apiVersion: o.apiVersion } : {}),
      ...(o.time ? { time: o.time } : {}),
      fieldsType: 'FieldsV1' as const,
      fieldsV1: toFieldsV1(o.fields),
      ...(o.subresource ? { subresource: o.subresource } : {}),
    }));
}

function sameIdentity(o: Owner, manager: string, operation: Owner['operation'], subresource?: string): boolean {
  return o.manager === manager && o.operation === operation && (o.subresource ?? '') === (subresource ?? '');
}

/** Inputs shared by every ownership computation. */
export interface OwnershipContext {
  manager: string;
  apiVersion: string;
  /** True when the kind has a status subresource: then the main resource never owns `status`. */
  hasStatus: boolean;
  /** The kind's keyed lists. */
  listKeys: ListKeys;
  now: Date;
}

/**
 * The managedFields after a non-apply write (create, update, patch) by `ctx.manager`: it gains the
 * fields it changed, every other manager loses them (an update takes ownership without conflict),
 * and removed fields leave every set. `subresource` is `status` for /status writes.
 */
export function recordUpdate(prev: Obj | undefined, next: Obj, ctx: OwnershipContext, subresource?: string): ManagedFieldsEntry[] {
  const prevMeta = (prev?.metadata ?? {}) as { managedFields?: ManagedFieldsEntry[] };
  const owners = decode(prevMeta.managedFields);
  const scope = (o: Obj | undefined): FieldSet =>
    !o ? new Set() : subresource === 'status' ? statusFieldsOf(o, ctx.listKeys) : fieldsOf(o, !ctx.hasStatus, ctx.listKeys);
  const nextFields = scope(next);
  const prevFields = scope(prev);
  // On a create every field the object sets is new (nothing to compare against).
  const changed = prev ? changedFields(prev, next, nextFields) : nextFields;
  const removed = new Set([...prevFields].filter((p) => !nextFields.has(p)));
  if (changed.size === 0 && removed.size === 0) return prevMeta.managedFields ?? [];

  let mine = owners.find((o) => sameIdentity(o, ctx.manager, 'Update', subresource));
  for (const o of owners) {
    for (const p of removed) o.fields.delete(p);
    if (o !== mine) for (const p of changed) o.fields.delete(p);
  }
  if (!mine) {
    mine = { manager: ctx.manager, operation: 'Update', subresource, fields: new Set() };
    owners.push(mine);
  }
  for (const p of changed) mine.fields.add(p);
  mine.apiVersion = ctx.apiVersion;
  mine.time = metaTime(ctx.now ?? new Date());
  return encode(owners);
}

/** A field another manager owns with a different value than the applied configuration. */
export interface ApplyConflict {
  manager: string;
  path: string;
}

/** The result of planning a server-side apply against the live object. */
export interface ApplyPlan {
  /** Fields to delete from the merged object: previously applied by this manager, owned by nobody now. */
  remove: string[];
  managedFields: ManagedFieldsEntry[];
}

/**
 * Plans a server-side apply by `ctx.manager`: checks conflicts (throws 409 Conflict listing them
 * unless `force`), moves forced fields to the applier, and lists the fields to remove because this
 * manager applied them before, applies them no more, and no one else owns them.
 */
export function planApply(live: Obj, applied: Obj, ctx: OwnershipContext, force: boolean): ApplyPlan {
  const owners = decode((live.metadata as { managedFields?: ManagedFieldsEntry[] }).managedFields);
  const appliedFields = fieldsOf(applied, !ctx.hasStatus, ctx.listKeys);
  const conflicts: ApplyConflict[] = [];
  for (const o of owners) {
    if (o.manager === ctx.manager) continue;
    for (const p of appliedFields) {
      if (!o.fields.has(p) || !isLeaf(appliedFields, p)) continue;
      if (!jsonEqual(valueAt(live, p), valueAt(applied, p))) conflicts.push({ manager: o.manager, path: p });
    }
  }
  if (conflicts.length > 0 && !force) throw applyConflictError(conflicts);
  for (const c of conflicts) for (const o of owners) if (o.manager === c.manager) o.fields.delete(c.path);

  let mine = owners.find((o) => sameIdentity(o, ctx.manager, 'Apply'));
  const previous = mine ? mine.fields : new Set<string>();
  const ownedByOthers = new Set<string>();
  for (const o of owners) if (o !== mine) for (const p of o.fields) ownedByOthers.add(p);
  const gone = new Set([...previous].filter((p) => !appliedFields.has(p) && !ownedByOthers.has(p)));
  // Only the topmost node of a removed subtree: removing a list item's key field first would
  // leave a keyless item behind that its own path can no longer find.
  const remove = [...gone].filter((p) => !hasAncestorIn(p, gone));

  // Restamped only when this apply changes what the manager owns (which fields, or their values).
  const unchanged = mine !== undefined && mine.apiVersion === ctx.apiVersion && remove.length === 0 && sameFields(previous, appliedFields) && [...appliedFields].every((p) => !isLeaf(appliedFields, p) || jsonEqual(valueAt(live, p), valueAt(applied, p)));
  if (!mine) {
    mine = { manager: ctx.manager, operation: 'Apply', fields: appliedFields };
    owners.push(mine);
  }
  mine.fields = appliedFields;
  mine.apiVersion = ctx.apiVersion;
  if (!unchanged || !mine.time) mine.time = metaTime(ctx.now ?? new Date());
  return { remove, managedFields: encode(owners) };
}

function sameFields(a: FieldSet, b: FieldSet): boolean {
  return a.size === b.size && [...a].every((p) => b.has(p));
}

function hasAncestorIn(path: string, set: ReadonlySet<string>): boolean {
  for (let i = path.lastIndexOf('\n'); i > 0; i = path.lastIndexOf('\n', i - 1)) {
    if (set.has(path.slice(0, i))) return true;
  }
  return false;
}

/** kube-apiserver's 409 for apply conflicts, with one `FieldManagerConflict` cause per field. */
export function applyConflictError(conflicts: ApplyConflict[]): ApiError {
  let message: string;
  if (conflicts.length === 1) {
    const c = conflicts[0]!;
    message = `Apply failed with 1 conflict: conflict with "${c.manager}": ${displayPath(c.path)}`;
  } else {
    const byManager = new Map<string, string[]>();
    for (const c of conflicts) byManager.set(c.manager, [...(byManager.get(c.manager) ?? []), displayPath(c.path)]);
    const lines: string[] = [];
    for (const [m, paths] of byManager) lines.push(`conflicts with "${m}":`, ...paths.map((p) => `- ${p}`));
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  return new ApiError(StatusReason.Conflict, message, {
    causes: conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with "${c.manager}"`, field: displayPath(c.path) })),
  });
}

/** Whether `err` is an apply conflict (applyConflictError): told by its causes, not its wording. */
export function isApplyConflict(err: unknown): boolean {
  return isReason(err, StatusReason.Conflict) && !!(err as ApiError).details?.causes?.some((c) => c.reason === 'FieldManagerConflict');
}

/**
 * Keeps the stored managedFields when a write changes nothing else, as kube-apiserver's
 * IgnoreManagedFieldsTimestampsTransformer does: otherwise re-applying an unchanged manifest a
 * second later would rewrite the object (a new resourceVersion, a watch event) for a timestamp.
 */
export function keepTimestampsOfNoOp(old: { metadata: object }, next: { metadata: object }): void {
  const fields = (o: { metadata: object }): unknown => (o.metadata as { managedFields?: unknown }).managedFields;
  if (jsonEqual(fields(old), fields(next))) return;
  const without = (o: { metadata: object }): unknown => ({ ...o, metadata: { ...o.metadata, managedFields: undefined } });
  const stamps = (o: { metadata: object }): unknown => ((fields(o) as ManagedFieldsEntry[] | undefined) ?? []).map((e) => ({ ...e, time: undefined }));
  if (jsonEqual(without(old), without(next)) && jsonEqual(stamps(old), stamps(next))) {
    (next.metadata as { managedFields?: unknown }).managedFields = fields(old);
  }
}
