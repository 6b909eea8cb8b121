/**
 * The Kubernetes write rules, as plans: each function reads what it needs and returns the rows
 * to write, without writing. ObjectStore applies a plan inside a transaction, or (dryRun) only
 * returns its result — so a dry run computes exactly what a real write would.
 */
import { v7 as uuidv7 } from 'uuid';
import { ApiError, StatusReason, alreadyExists, conflict, invalid, notFound } from '../errors.js';
import type { KubeObject } from '../../resources/meta.js';
import type { BackendReader, BackendTx, ChangeType, ObjectKey, StoredObject } from './backend.js';
import { canonicalJson, cloneObject, contentOf, desiredState, generatedName, ownerUids, sameUids } from './object-meta.js';
import type { DeleteOptions, ResourceInfo } from './store.js';
import { metaTime } from '../../resources/time.js';

/** The finalizer that holds an owner until its dependents are gone (foreground deletion). */
export const FOREGROUND_FINALIZER = 'foregroundDeletion';

const STALE = 'the object has been modified; please apply your changes to the latest version and try again';

/**
 * One row change: create (insert a new row, failing with `alreadyExists` when the key is taken),
 * put (insert/replace) or remove, with the watch event it emits.
 */
export interface PlannedWrite {
  key: ObjectKey;
  op: 'create' | 'put' | 'remove';
  /** For op 'create': the error when an object with the key exists. */
  alreadyExists?: () => ApiError;
  type: ChangeType;
  obj: KubeObject;
  prev?: { json: string; obj: KubeObject };
}

/** The writes of one operation and what the caller gets back. */
export interface Plan {
  writes: PlannedWrite[];
  /** The primary object; its resourceVersion is filled in when the writes are applied. */
  result: KubeObject;
  /** True when the primary object is removed (not merely marked for deletion). */
  removed: boolean;
  /** Set when the primary object waits for its dependents (foreground deletion). */
  foregroundUid?: string;
}

/** The API group of an apiVersion ('' for the core group). */
function groupOf(info: ResourceInfo): string {
  const slash = info.apiVersion.indexOf('/');
  return slash >= 0 ? info.apiVersion.slice(0, slash) : '';
}

/** NotFound in kubectl's wording for `info`. */
export function notFoundFor(info: ResourceInfo, name: string): ApiError {
  const group = groupOf(info);
  if (group) return notFound(info.plural, group, name);
  return new ApiError(StatusReason.NotFound, `${info.plural} "${name}" not found`, { name, kind: info.plural });
}

/** AlreadyExists in kubectl's wording for `info`. */
export function alreadyExistsFor(info: ResourceInfo, name: string): ApiError {
  const group = groupOf(info);
  if (group) return alreadyExists(info.plural, group, name);
  return new ApiError(StatusReason.AlreadyExists, `${info.plural} "${name}" already exists`, { name, kind: info.plural });
}

function conflictFor(info: ResourceInfo, name: string, why: string): ApiError {
  const group = groupOf(info);
  if (group) return conflict(info.plural, group, name, why);
  return new ApiError(StatusReason.Conflict, `Operation cannot be fulfilled on ${info.plural} "${name}": ${why}`, { name, kind: info.plural });
}

/** The namespace an object of this kind is stored under. */
export function namespaceFor(info: ResourceInfo, namespace: string | undefined): string {
  return info.namespaced ? namespace || 'default' : '';
}

function parse(s: StoredObject): KubeObject {
  return JSON.parse(s.json) as KubeObject;
}

async function load(r: BackendReader, info: ResourceInfo, key: ObjectKey): Promise<{ stored: StoredObject; obj: KubeObject }> {
  const stored = await r.getObject(key);
  if (!stored) throw notFoundFor(info, key.name);
  return { stored, obj: parse(stored) };
}

function checkVersion(info: ResourceInfo, given: KubeObject, stored: StoredObject): void {
  const rv = given.metadata?.resourceVersion;
  if (rv && rv !== String(stored.resourceVersion)) throw conflictFor(info, stored.name, STALE);
  const uid = given.metadata?.uid;
  if (uid && uid !== stored.uid) {
    throw conflictFor(info, stored.name, `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${stored.uid}`);
  }
}

function dropUndefined(meta: Record<string, unknown>): void {
  for (const k of Object.keys(meta)) if (meta[k] === undefined) delete meta[k];
}

/**
 * Plans a create: identity, generation 1, creation time, generated name. With `readFirst` (a dry
 * run, which writes nothing) an existing object is found by reading; otherwise the write itself
 * finds it (op 'create'), which saves a round trip under the write lock.
 */
export async function planCreate(r: BackendReader, info: ResourceInfo, input: KubeObject, now: Date, readFirst: boolean, keepIdentity = false): Promise<Plan> {
  const obj = cloneObject(input);
  obj.apiVersion ||= info.apiVersion;
  obj.kind ||= info.kind;
  const meta = (obj.metadata = { ...(obj.metadata ?? {}) });
  if (info.namespaced) meta.namespace = namespaceFor(info, meta.namespace);
  else delete meta.namespace;
  if (!meta.name) {
    if (!meta.generateName) {
      throw invalid(info.kind, '', [{ field: 'metadata.name', message: 'Required value: name or generateName is required', reason: 'FieldValueRequired' }]);
    }
    meta.name = generatedName(meta.generateName);
  }
  const key = { plural: info.plural, namespace: meta.namespace ?? '', name: meta.name };
  const name = meta.name;
  if (readFirst && (await r.getObject(key))) throw alreadyExistsFor(info, name);
  // UUIDv7: time-ordered and monotonic within the process, so uids order objects created in the
  // same second (creationTimestamp has second precision) — run admission relies on it for FIFO.
  const given = keepIdentity ? { uid: meta.uid, generation: meta.generation, creationTimestamp: meta.creationTimestamp } : {};
  meta.uid = given.uid || uuidv7();
  meta.generation = given.generation ?? 1;
  meta.creationTimestamp = given.creationTimestamp || metaTime(now);
  delete meta.resourceVersion;
  delete meta.deletionTimestamp;
  delete meta.deletionGracePeriodSeconds;
  return { writes: [{ key, op: 'create', type: 'ADDED', obj, alreadyExists: () => alreadyExistsFor(info, name) }], result: obj, removed: false };
}


/**
 * Plans an update of everything but status (with a status subresource) and system metadata; with
 * `keepIdentity` a given generation is kept instead of counted.
 */
export async function planUpdate(r: BackendReader, info: ResourceInfo, input: KubeObject, keepIdentity = false): Promise<Plan> {
  const name = input.metadata?.name ?? '';
  const key = { plural: info.plural, namespace: namespaceFor(info, input.metadata?.namespace), name };
  const { stored, obj: cur } = await load(r, info, key);
  checkVersion(info, input, stored);
  const next = cloneObject(input);
  next.apiVersion ||= cur.apiVersion;
  next.kind ||= cur.kind;
  const m = cur.metadata;
  next.metadata = {
    ...next.metadata,
    name,
    namespace: info.namespaced ? key.namespace : undefined,
    uid: stored.uid,
    resourceVersion: m.resourceVersion,
    generation: m.generation,
    creationTimestamp: m.creationTimestamp,
    deletionTimestamp: m.deletionTimestamp,
    deletionGracePeriodSeconds: m.deletionGracePeriodSeconds,
  };
  dropUndefined(next.metadata as Record<string, unknown>);
  if (info.hasStatus) {
    if (cur.status === undefined) delete next.status;
    else next.status = cur.status;
  }
  const finalizers = next.metadata.finalizers ?? [];
  if (m.deletionTimestamp) {
    const old = new Set(m.finalizers ?? []);
    const added = finalizers.filter((f) => !old.has(f));
    if (added.length) {
      throw invalid(info.kind, name, [
        {
          field: 'metadata.finalizers',
          message: `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}`,
          reason: 'FieldValueForbidden',
        },
      ]);
    }
  }
  if (keepIdentity && input.metadata?.generation !== undefined) next.metadata.generation = input.metadata.generation;
  else if (desiredState(next) !== desiredState(cur)) next.metadata.generation = (m.generation ?? 1) + 1;
  const prev = { json: stored.json, obj: cur };
  if (m.deletionTimestamp && finalizers.length === 0) {
    return { writes: [{ key, op: 'remove', type: 'DELETED', obj: next, prev }], result: next, removed: true };
  }
  if (contentOf(next) === contentOf(cur)) return { writes: [], result: cur, removed: false };
  return { writes: [{ key, op: 'put', type: 'MODIFIED', obj: next, prev }], result: next, removed: false };
}

/** Plans a /status write: only `status` changes. */
export async function planUpdateStatus(r: BackendReader, info: ResourceInfo, input: KubeObject): Promise<Plan> {
  if (!info.hasStatus) {
    throw new ApiError(StatusReason.NotFound, `the server could not find the requested resource (${info.plural} has no status subresource)`);
  }
  const name = input.metadata?.name ?? '';
  const key = { plural: info.plural, namespace: namespaceFor(info, input.metadata?.namespace), name };
  const { stored, obj: cur } = await load(r, info, key);
  checkVersion(info, input, stored);
  // A second parse of the stored text is the cheapest private copy; only status can differ.
  const next = parse(stored);
  if (input.status === undefined) delete next.status;
  else next.status = cloneObject(input.status);
  if (canonicalJson(next.status) === canonicalJson(cur.status)) return { writes: [], result: cur, removed: false };
  return { writes: [{ key, op: 'put', type: 'MODIFIED', obj: next, prev: { json: stored.json, obj: cur } }], result: next, removed: false };
}

/** Plans a delete: mark (finalizers, foreground) or remove, and orphan dependents if asked. */
export async function planDelete(r: BackendReader, info: ResourceInfo, key: ObjectKey, opts: DeleteOptions, now: Date): Promise<Plan> {
  const { stored, obj: cur } = await load(r, info, key);
  const pre = opts.preconditions ?? {};
  if (pre.uid && pre.uid !== stored.uid) {
    throw conflictFor(info, key.name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${stored.uid}`);
  }
  if (pre.resourceVersion && pre.resourceVersion !== String(stored.resourceVersion)) {
    throw conflictFor(
      info,
      key.name,
      `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${stored.resourceVersion}`,
    );
  }
  const policy = opts.propagationPolicy ?? 'Background';
  const writes: PlannedWrite[] = [];
  const dependents = await r.dependentsOf(stored.uid);
  if (policy === 'Orphan') {
    for (const dk of dependents) {
      const dep = await r.getObject(dk);
      if (!dep) continue;
      const depObj = parse(dep);
      const next = cloneObject(depObj);
      next.metadata.ownerReferences = (next.metadata.ownerReferences ?? []).filter((o) => o.uid !== stored.uid);
      if (next.metadata.ownerReferences.length === 0) delete next.metadata.ownerReferences;
      writes.push({ key: dk, op: 'put', type: 'MODIFIED', obj: next, prev: { json: dep.json, obj: depObj } });
    }
  }
  const finalizers = [...(cur.metadata.finalizers ?? [])];
  if (policy === 'Foreground' && dependents.length > 0 && !finalizers.includes(FOREGROUND_FINALIZER)) finalizers.push(FOREGROUND_FINALIZER);
  const prev = { json: stored.json, obj: cur };
  if (finalizers.length === 0) {
    writes.push({ key, op: 'remove', type: 'DELETED', obj: cloneObject(cur), prev });
    return { writes, result: writes[writes.length - 1].obj, removed: true };
  }
  const next = cloneObject(cur);
  next.metadata.finalizers = finalizers;
  next.metadata.deletionTimestamp ??= metaTime(now);
  next.metadata.deletionGracePeriodSeconds ??= 0;
  const foregroundUid = finalizers.includes(FOREGROUND_FINALIZER) ? stored.uid : undefined;
  if (contentOf(next) === contentOf(cur)) return { writes, result: cur, removed: false, foregroundUid };
  writes.push({ key, op: 'put', type: 'MODIFIED', obj: next, prev });
  return { writes, result: next, removed: false, foregroundUid };
}

/**
 * Writes a plan's rows in `tx`: one new resourceVersion per row, the object row, the owners
 * index when ownerReferences changed, and the watch history row — all in the same transaction.
 */
export async function applyPlan(tx: BackendTx, writes: PlannedWrite[]): Promise<void> {
  for (const w of writes) {
    const rv = await tx.nextResourceVersion();
    w.obj.metadata.resourceVersion = String(rv);
    const json = JSON.stringify(w.obj);
    const before = w.prev ? ownerUids(w.prev.obj) : [];
    if (w.op === 'create') {
      const change = { ...w.key, resourceVersion: rv, type: w.type, json };
      // The version stays allocated, but the caller's transaction fails with the error, so its
      // savepoint is undone and the version handed to the next one (no gap).
      if (!(await tx.createObject({ ...w.key, uid: w.obj.metadata.uid as string, resourceVersion: rv, json }, change))) {
        throw w.alreadyExists?.() ?? new Error(`sidekicks store: ${w.key.plural} "${w.key.name}" exists`);
      }
      const after = ownerUids(w.obj);
      if (after.length) await tx.setOwners(w.key, after);
      continue;
    }
    if (w.op === 'put') {
      await tx.putObject({ ...w.key, uid: w.obj.metadata.uid as string, resourceVersion: rv, json });
      const after = ownerUids(w.obj);
      if (!sameUids(before, after)) await tx.setOwners(w.key, after);
    } else {
      await tx.deleteObject(w.key);
      if (before.length) await tx.setOwners(w.key, []);
    }
    await tx.appendChange({
      ...w.key,
      resourceVersion: rv,
      type: w.type,
      json,
      ...(w.type === 'MODIFIED' && w.prev ? { prevJson: w.prev.json } : {}),
    });
  }
}
