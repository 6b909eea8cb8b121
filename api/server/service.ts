/**
 * ApiService: the API in-process — create, get, list, update, status, patch, server-side apply,
 * delete and watch, each with admission and managedFields bookkeeping, over a Store. The HTTP
 * layer is a thin codec around it; controllers call it directly.
 */
import type { KubeList, KubeObject } from '../../resources/meta.js';
import { isKubernetesGroup, type KindDefinition, type Scheme } from '../../resources/scheme.js';
import { ApiError, conflict, isReason, StatusReason } from '../errors.js';
import type { EventRecorder } from '../events/recorder.js';
import type { DeleteOptions, ListOptions, ListResult, Store, WatchEvent, WatchOptions } from '../store/store.js';
import { KeyedLock } from '../keyed-lock.js';
import type { Run } from '../../resources/kinds/run.js';
import { RunLimits, runLimitsKey } from './run-limits.js';
import { admitWorkflowCreate, keepStampedStatus, WORKFLOW_PLURALS } from './workflow-admission.js';
import { admitCreate, admitUpdate, checkEnvelope, FieldValidation, ignoreBodyStatus, type AdmissionRequest } from './admission.js';
import { appliedCreateFields, applyConfiguration } from './apply.js';
import { listKeysOf } from './list-keys.js';
import { isApplyConflict, keepTimestampsOfNoOp, recordUpdate, type OwnershipContext } from './managed-fields.js';
import { admitRemember, type RememberAuthority } from './remember-admission.js';
import { admitCrossNodeDecision } from './cross-node-admission.js';
import { admitIntervention, admitRunUpdate } from './run-control-admission.js';
import { jsonPatch, mergePatch, PatchType } from './patch.js';
import { strategicMergePatch } from './strategic-merge.js';

/** Options every write accepts (the query parameters of a write request). */
export interface WriteRequest {
  /** The field manager; defaults to {@link DEFAULT_MANAGER}. Required for apply. */
  fieldManager?: string;
  dryRun?: boolean;
  /** Defaults to Warn, as kube-apiserver. */
  fieldValidation?: FieldValidation;
  /** Apply only: take ownership of conflicting fields. */
  force?: boolean;
  /** Collects warnings (unknown fields with Warn) for the caller to surface. */
  warnings?: string[];
  /**
   * The authenticated identity making the request (set by the HTTP layer). Admission records it
   * as the creator of new objects and as the decider of an Approval's decision.
   */
  user?: string;
}

/** The manager recorded for in-process writes that name none. */
export const DEFAULT_MANAGER = 'sidekick';

/** Patch and update retries when a write without a resourceVersion precondition races another. */
const CONFLICT_RETRIES = 5;

/** A list's apiVersion, kind and metadata (everything but the items). */
function listEnvelope(def: KindDefinition, res: ListResult<unknown>): Omit<KubeList, 'items'> {
  return {
    apiVersion: def.apiVersion,
    kind: `${def.kind}List`,
    metadata: {
      resourceVersion: res.resourceVersion,
      ...(res.continue ? { continue: res.continue } : {}),
      ...(res.remainingItemCount !== undefined ? { remainingItemCount: res.remainingItemCount } : {}),
    },
  };
}

/** Events are about objects; recording events about events would never end. */
const NO_EVENTS_FOR = new Set(['events']);

export interface ApiServiceOptions {
  store: Store;
  scheme: Scheme;
  recorder?: EventRecorder;
  now?: () => Date;
  /**
   * Decides whether a decider may write the ApprovalPolicy their remembered decision goes into.
   * Without it, API requests may remember for their own runs only.
   */
  authority?: RememberAuthority;
}

/** The API with admission: what the HTTP server serves and controllers use. */
export class ApiService {
  readonly store: Store;
  readonly scheme: Scheme;
  private readonly recorder?: EventRecorder;
  private readonly now: () => Date;
  private readonly authority?: RememberAuthority;
  /** Run-create checks of one session, one at a time: each counts the runs stored or being stored before it. */
  private readonly runCreates = new KeyedLock();
  /** The run-create check, over a counted index of the sessions' runs. */
  private readonly runLimits: RunLimits;

  constructor(opts: ApiServiceOptions) {
    this.store = opts.store;
    this.scheme = opts.scheme;
    this.recorder = opts.recorder;
    this.now = opts.now ?? (() => new Date());
    this.authority = opts.authority;
    this.runLimits = new RunLimits(this.store);
  }

  /** The kind served under a plural, or 404 like kube-apiserver for an unknown resource. */
  kindOf(plural: string): KindDefinition {
    const def = this.scheme.byPlural(plural);
    if (!def) throw new ApiError(StatusReason.NotFound, 'the server could not find the requested resource', { kind: plural });
    return def;
  }

  async get(plural: string, namespace: string, name: string): Promise<KubeObject> {
    const def = this.kindOf(plural);
    return this.store.get(plural, scopeNs(def, namespace), name);
  }

  /** Lists as a typed `<Kind>List` with every item carrying apiVersion and kind. */
  async list(plural: string, opts: ListOptions = {}): Promise<KubeList> {
    const def = this.kindOf(plural);
    const res = await this.store.list(plural, def.namespaced ? opts : { ...opts, namespace: undefined });
    return { ...listEnvelope(def, res), items: res.items };
  }

  /**
   * The same list as JSON text, built around the stored text of each item: a 10,000-object list
   * is then neither parsed nor serialized again (stored objects carry apiVersion and kind).
   */
  async listJson(plural: string, opts: ListOptions = {}): Promise<string> {
    const def = this.kindOf(plural);
    const res = await this.store.listJson(plural, def.namespaced ? opts : { ...opts, namespace: undefined });
    const head = JSON.stringify({ ...listEnvelope(def, res), items: [] });
    // `head` ends in `"items":[]}`: the items go between the brackets.
    return `${head.slice(0, -2)}${res.items.join(',')}]}`;
  }


  async create(plural: string, namespace: string, body: unknown, req: WriteRequest = {}): Promise<KubeObject> {
    const def = this.kindOf(plural);
    const adm = this.admission(def, namespace, undefined, req);
    const envelope = checkEnvelope(body, adm);
    ignoreBodyStatus(def, envelope);
    const obj = admitCreate(envelope, adm);
    await this.admitStored(def, undefined, obj, req);
    obj.metadata.managedFields = recordUpdate(undefined, obj, this.ownership(def, req));
    return this.storeCreate(def, obj, req);
  }

  /** Replaces spec and metadata (PUT). Without a resourceVersion the write is unconditional. */
  async update(plural: string, namespace: string, name: string, body: unknown, req: WriteRequest = {}): Promise<KubeObject> {
    const def = this.kindOf(plural);
    const adm = this.admission(def, namespace, name, req);
    const incoming = checkEnvelope(body, adm, { replace: true });
    const precondition = incoming.metadata.resourceVersion;
    return this.retrying(precondition, async () => {
      const old = await this.store.get(plural, scopeNs(def, namespace), name);
      const candidate = structuredClone(incoming);
      candidate.metadata.resourceVersion = precondition || old.metadata.resourceVersion;
      return this.writeObject(def, old, candidate, adm, req);
    });
  }

  /** Writes a changed object (not its status): admission, the manager's fields, then the store. */
  private async writeObject(def: KindDefinition, old: KubeObject, candidate: KubeObject, adm: AdmissionRequest, req: WriteRequest): Promise<KubeObject> {
    ignoreBodyStatus(def, candidate, old);
    const obj = admitUpdate(old, candidate, adm);
    await this.admitStored(def, old, obj, req);
    obj.metadata.managedFields = recordUpdate(old, obj, this.ownership(def, req));
    keepTimestampsOfNoOp(old, obj);
    return this.store.update(def.plural, obj, { dryRun: req.dryRun });
  }

  /** Replaces only status (PUT …/status). */
  async updateStatus(plural: string, namespace: string, name: string, body: unknown, req: WriteRequest = {}): Promise<KubeObject> {
    const def = this.kindOf(plural);
    this.requireStatus(def);
    const adm = this.admission(def, namespace, name, req);
    const incoming = checkEnvelope(body, adm, { replace: true });
    const precondition = incoming.metadata.resourceVersion;
    return this.retrying(precondition, async () => {
      const old = await this.store.get(plural, scopeNs(def, namespace), name);
      return this.writeStatus(def, old, { ...old, status: incoming.status }, precondition, adm, req);
    });
  }

  /** PATCH with a merge, JSON, apply or (Kubernetes' own kinds only) strategic merge patch; `subresource` is `status` for …/status. */
  async patch(
    plural: string,
    namespace: string,
    name: string,
    type: PatchType,
    patch: unknown,
    req: WriteRequest & { subresource?: 'status' } = {},
  ): Promise<KubeObject> {
    if (type === PatchType.Apply) return this.apply(plural, namespace, name, patch, req);
    const def = this.kindOf(plural);
    if (type === PatchType.Strategic && !isKubernetesGroup(def.group)) {
      throw new ApiError(StatusReason.UnsupportedMediaType, `the body of the request was in an unknown format - accepted media types include: ${PatchType.Json}, ${PatchType.Merge}, ${PatchType.Apply}`);
    }
    if (req.subresource === 'status') this.requireStatus(def);
    const adm = this.admission(def, namespace, name, req);
    let explicit = false;
    return this.retrying(undefined, async () => {
      const old = await this.store.get(plural, scopeNs(def, namespace), name);
      const patched = (type === PatchType.Merge ? mergePatch(old, patch) : type === PatchType.Strategic ? strategicMergePatch(old, patch) : jsonPatch(old, patch)) as KubeObject;
      const candidate = checkEnvelope(patched, adm);
      // A patch that sets or tests resourceVersion makes it a precondition: a conflict is then the
      // client's to resolve, not retried here.
      explicit = candidate.metadata.resourceVersion !== old.metadata.resourceVersion || testsResourceVersion(patch);
      if (!candidate.metadata.resourceVersion) candidate.metadata.resourceVersion = old.metadata.resourceVersion;
      if (req.subresource === 'status') return this.writeStatus(def, old, candidate, candidate.metadata.resourceVersion, adm, req);
      return this.writeObject(def, old, candidate, adm, req);
    }, (err) => !explicit && isReason(err, StatusReason.Conflict));
  }

  /**
   * Server-side apply: merges the applied configuration into the live object (creating it when
   * missing), removes fields this manager applied before and no longer applies, and rejects a
   * change to a field another manager owns with 409 unless `force`.
   */
  async apply(plural: string, namespace: string, name: string, body: unknown, req: WriteRequest & { subresource?: 'status' } = {}): Promise<KubeObject> {
    const def = this.kindOf(plural);
    if (!req.fieldManager) {
      throw new ApiError(StatusReason.BadRequest, 'PATCH /apply requires fieldManager to be set (the fieldManager query parameter)');
    }
    const adm = this.admission(def, namespace, name, req);
    const applied = checkEnvelope(body, adm);
    const precondition = applied.metadata.resourceVersion;
    delete applied.metadata.resourceVersion;
    if (req.subresource !== 'status' && def.hasStatus) delete applied.status;
    const ctx = this.ownership(def, req);
    return this.retrying(precondition, async () => {
      let live: KubeObject;
      try {
        live = await this.store.get(plural, scopeNs(def, namespace), name);
      } catch (err) {
        if (!isReason(err, StatusReason.NotFound) || req.subresource === 'status') throw err;
        const obj = admitCreate(structuredClone(applied), adm);
        await this.admitStored(def, undefined, obj, req);
        obj.metadata.managedFields = appliedCreateFields(applied, ctx);
        return this.storeCreate(def, obj, req);
      }
      if (precondition && precondition !== live.metadata.resourceVersion) {
        throw conflict(def.plural, def.group, name, 'the object has been modified; please apply your changes to the latest version and try again');
      }
      const { object, managedFields } = applyConfiguration(live, applied, ctx, { force: req.force === true, subresource: req.subresource });
      if (req.subresource === 'status') return this.writeStatus(def, live, object, object.metadata.resourceVersion, adm, req, managedFields);
      const obj = admitUpdate(live, object, adm);
      await this.admitStored(def, live, obj, req);
      obj.metadata.managedFields = managedFields;
      keepTimestampsOfNoOp(live, obj);
      return this.store.update(plural, obj, { dryRun: req.dryRun });
    });
  }

  /** Deletes one object; with finalizers it stays, marked with deletionTimestamp. */
  async delete(plural: string, namespace: string, name: string, opts: DeleteOptions = {}): Promise<{ object: KubeObject; removed: boolean }> {
    const def = this.kindOf(plural);
    const res = await this.store.delete(plural, scopeNs(def, namespace), name, opts);
    if (!opts.dryRun && this.recorder && !NO_EVENTS_FOR.has(plural)) {
      const finalizers = res.object.metadata.finalizers ?? [];
      if (res.removed) this.recorder.normal(res.object, 'Deleted', `Deleted ${def.kind} ${name}`);
      else this.recorder.normal(res.object, 'Deleting', `Deletion requested; waiting for finalizers: ${finalizers.join(', ') || '(foreground dependents)'}`);
    }
    return res;
  }

  /** Deletes every object a list would return (DELETE on a collection). */
  async deleteCollection(plural: string, list: ListOptions, opts: DeleteOptions = {}): Promise<KubeList> {
    const { items, ...rest } = await this.list(plural, { ...list, limit: undefined, continue: undefined });
    const deleted: KubeObject[] = [];
    for (const item of items) {
      try {
        deleted.push((await this.delete(plural, item.metadata.namespace ?? '', item.metadata.name ?? '', opts)).object);
      } catch (err) {
        // Deleted by someone else meanwhile: the collection is still being emptied as asked.
        if (!isReason(err, StatusReason.NotFound)) throw err;
      }
    }
    return { ...rest, items: deleted };
  }

  /** Streams changes of a kind; ends when `signal` aborts. Rejects Expired for a too-old resourceVersion. */
  watch(plural: string, opts: WatchOptions, signal: AbortSignal): AsyncIterable<WatchEvent> {
    const def = this.kindOf(plural);
    return this.store.watch(plural, def.namespaced ? opts : { ...opts, namespace: undefined }, signal);
  }

  /**
   * The admission rules that read the store or ask the authorizer, after the object itself was
   * admitted (`old` undefined on create): what a decision remembers.
   */
  private async admitStored(def: KindDefinition, old: KubeObject | undefined, obj: KubeObject, req: WriteRequest): Promise<void> {
    if (def.plural === 'approvals') {
      await admitRemember(old, obj, { store: this.store, authority: this.authority, user: req.user });
      await admitCrossNodeDecision(old, obj, { store: this.store, authority: this.authority, user: req.user });
    }
    // Steering an ended run (an Intervention, a pause or resume) is refused: nothing is stored.
    if (def.plural === 'interventions' && !old) await admitIntervention(this.store, obj);
    if (def.plural === 'runs' && old) admitRunUpdate(old, obj);
  }

  private async storeCreate(def: KindDefinition, obj: KubeObject, req: WriteRequest): Promise<KubeObject> {
    // Template rules that need the store (agents, templates, sessions); stamps the digest.
    if (WORKFLOW_PLURALS.has(def.plural)) await admitWorkflowCreate(this.store, def.plural, obj);
    const created =
      def.plural === 'runs'
        ? await this.createRun(obj as Run, req)
        : await this.store.create(def.plural, obj, { dryRun: req.dryRun });
    if (!req.dryRun && this.recorder && !NO_EVENTS_FOR.has(def.plural)) {
      this.recorder.normal(created, 'Created', `Created ${def.kind} ${created.metadata.name} (by ${req.fieldManager ?? DEFAULT_MANAGER})`);
    }
    return created;
  }

  /**
   * Creates a run within its session's limits: the check and the place it holds are one session
   * at a time; the store writes are not, so concurrent creates share commits.
   */
  private async createRun(run: Run, req: WriteRequest): Promise<KubeObject> {
    const release = await this.runCreates.run(runLimitsKey(run), () => this.runLimits.admit(run));
    try {
      const created = await this.store.create('runs', run, { dryRun: req.dryRun });
      if (!req.dryRun) this.runLimits.created(created);
      return created;
    } finally {
      release();
    }
  }

  private async writeStatus(
    def: KindDefinition,
    old: KubeObject,
    next: KubeObject,
    precondition: string | undefined,
    adm: AdmissionRequest,
    req: WriteRequest,
    managedFields?: KubeObject['metadata']['managedFields'],
  ): Promise<KubeObject> {
    // Only status may change here: everything else is taken from the stored object.
    const candidate: KubeObject = { ...structuredClone(old), status: next.status };
    keepStampedStatus(def.plural, old, candidate);
    candidate.metadata.resourceVersion = precondition || old.metadata.resourceVersion;
    const obj = admitUpdate(old, candidate, adm);
    obj.metadata.managedFields = managedFields ?? recordUpdate(old, obj, this.ownership(def, req), 'status');
    keepTimestampsOfNoOp(old, obj);
    return this.store.updateStatus(def.plural, obj, { dryRun: req.dryRun });
  }

  private requireStatus(def: KindDefinition): void {
    if (!def.hasStatus) throw new ApiError(StatusReason.NotFound, `${def.plural}.${def.group} has no status subresource`);
  }

  private admission(def: KindDefinition, namespace: string, name: string | undefined, req: WriteRequest): AdmissionRequest {
    return {
      def,
      namespace: scopeNs(def, namespace),
      name,
      fieldValidation: req.fieldValidation ?? FieldValidation.Warn,
      warnings: req.warnings ?? [],
      now: this.now(),
      user: req.user,
    };
  }

  private ownership(def: KindDefinition, req: WriteRequest): OwnershipContext {
    return {
      manager: req.fieldManager || DEFAULT_MANAGER,
      apiVersion: def.apiVersion,
      hasStatus: def.hasStatus,
      listKeys: listKeysOf(def),
      now: this.now(),
    };
  }

  /**
   * Runs a read-modify-write; a Conflict is retried when the client gave no resourceVersion
   * precondition (the conflict is then ours, from a concurrent writer, not the client's).
   */
  private async retrying<T>(precondition: string | undefined, attempt: () => Promise<T>, retryable?: (err: unknown) => boolean): Promise<T> {
    for (let i = 0; ; i++) {
      try {
        return await attempt();
      } catch (err) {
        const again = retryable ? retryable(err) : !precondition && isReason(err, StatusReason.Conflict) && !isApplyConflict(err);
        if (!again || i >= CONFLICT_RETRIES) throw err;
      }
    }
  }
}

/** A JSON patch operation on /metadata/resourceVersion (usually a `test`) is a precondition. */
function testsResourceVersion(patch: unknown): boolean {
  return Array.isArray(patch) && patch.some((op) => (op as { path?: unknown } | null)?.path === '/metadata/resourceVersion');
}

function scopeNs(def: KindDefinition, namespace: string): string {
  return def.namespaced ? namespace : '';
}
