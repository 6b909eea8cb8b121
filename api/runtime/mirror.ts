/**
 * The Mirror: a runtime node's copy of what it needs from the control plane, kept in the node's
 * local store (SQLite, written raw: the control plane admitted these objects already), so the
 * same controllers the daemon runs reconcile the node's runs against a local store, and keep
 * working with the last state while the control plane is away.
 *
 * Per kind (mirror-rules.ts): sessions, agents, repo mounts, approval policies and tools whole;
 * the runs bound to this node (`spec.nodeName`, a field selector); the interventions and
 * approvals of those runs. Objects keep their uid and creation time (WriteOptions.keepIdentity),
 * so owner references and the status the node publishes mean the same on both sides. Who owns
 * which field is decided in mirror-rules.ts; this file lists, watches and writes.
 */
import type { ApiClient } from '../client/client.js';
import type { ResourceRef } from '../client/types.js';
import { isReason, StatusReason } from '../errors.js';
import type { Store } from '../store/store.js';
import { scheme } from '../../resources/index.js';
import type { KubeObject } from '../../resources/meta.js';
import { keyOf, Reflector, type ReflectorTiming } from './mirror-reflector.js';
import { localChange, localCopy, mayDeleteOrphan, MIRROR_KINDS, runKeyOf, type KindRule } from './mirror-rules.js';

export { MIRRORED_ANNOTATION } from './mirror-rules.js';

/** What a Mirror needs. */
export interface MirrorOptions {
  /** The control plane, as this node (its access token). */
  client: ApiClient;
  /** The node's local store, raw (no admission): the mirror writes exactly what the control plane holds. */
  store: Store;
  nodeName: string;
  log: (line: string) => void;
  /** Retry and idle timing of the list/watch loops (tests shorten them). */
  timing?: ReflectorTiming;
  /** Delay before a key whose write failed is tried again (default 1 s). */
  retryMs?: number;
}

/** Tries of one key's read-modify-write before it is retried later. */
const CONFLICT_TRIES = 5;

function splitKey(key: string): { namespace: string; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { namespace: '', name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

/** Copies the control plane's objects this node needs into its local store; a Runnable. */
export class Mirror {
  readonly name = 'mirror';
  private readonly rules: KindRule[];
  private readonly reflectors = new Map<string, Reflector>();
  private readonly pending = new Map<string, Set<string>>();
  /** Kinds whose local objects must be looked at after a list (deleted upstream while away). */
  private readonly scanLocal = new Set<string>();
  private wake?: () => void;
  private caughtUp = false;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly o: MirrorOptions) {
    this.rules = MIRROR_KINDS.filter((r) => scheme.byPlural(r.plural) !== undefined);
    for (const rule of this.rules) {
      const def = scheme.byPlural(rule.plural)!;
      const ref: ResourceRef = { group: def.group, version: def.version, plural: def.plural, kind: def.kind, namespaced: def.namespaced };
      const selector = rule.scope === 'boundRuns' ? `spec.nodeName=${o.nodeName}` : undefined;
      const hooks = {
        changed: (key: string) => this.upstreamChanged(rule, key),
        relisted: (keys: string[]) => {
          for (const k of keys) this.enqueue(rule.plural, k);
          this.scanLocal.add(rule.plural);
          // A new list of runs may bind or unbind any approval or intervention: look at them all.
          if (rule.plural === 'runs') {
            for (const dep of this.dependentRules()) {
              this.scanLocal.add(dep.plural);
              for (const k of this.reflectors.get(dep.plural)?.cache.keys() ?? []) this.enqueue(dep.plural, k);
            }
          }
          this.poke();
        },
      };
      this.reflectors.set(rule.plural, new Reflector(o.client, ref, selector, hooks, o.log, o.timing));
    }
  }

  /** True once every kind was listed and the local store brought in line with that list. */
  synced(): boolean {
    return this.caughtUp;
  }

  /** True while every watch on the control plane is open. */
  connected(): boolean {
    return [...this.reflectors.values()].every((r) => r.connected());
  }

  async start(signal: AbortSignal): Promise<void> {
    try {
      await Promise.all([...[...this.reflectors.values()].map((r) => r.run(signal)), this.work(signal)]);
    } finally {
      for (const t of this.timers) clearTimeout(t);
    }
  }

  private dependentRules(): KindRule[] {
    return this.rules.filter((r) => r.scope === 'ofBoundRuns');
  }

  private upstreamChanged(rule: KindRule, key: string): void {
    this.enqueue(rule.plural, key);
    // A run bound or unbound changes which of its approvals and interventions belong here.
    if (rule.plural === 'runs') {
      for (const dep of this.dependentRules()) {
        for (const [k, obj] of this.reflectors.get(dep.plural)!.cache) if (runKeyOf(obj) === key) this.enqueue(dep.plural, k);
      }
    }
    this.poke();
  }

  private enqueue(plural: string, key: string): void {
    let keys = this.pending.get(plural);
    if (!keys) this.pending.set(plural, (keys = new Set()));
    keys.add(key);
  }

  private poke(): void {
    this.wake?.();
  }

  /** The next key to sync: kinds in MIRROR_KINDS order, so a run lands after its session and before its approvals. */
  private next(): { rule: KindRule; key?: string } | undefined {
    for (const rule of this.rules) {
      if (!this.reflectors.get(rule.plural)!.synced()) continue;
      if (rule.scope === 'ofBoundRuns' && !this.reflectors.get('runs')?.synced()) continue;
      if (this.scanLocal.delete(rule.plural)) return { rule };
      const keys = this.pending.get(rule.plural);
      const key = keys?.values().next();
      if (key && !key.done) {
        keys!.delete(key.value);
        return { rule, key: key.value };
      }
    }
    return undefined;
  }

  private async work(signal: AbortSignal): Promise<void> {
    signal.addEventListener('abort', () => this.poke(), { once: true });
    while (!signal.aborted) {
      const item = this.next();
      if (!item) {
        if (!this.caughtUp && [...this.reflectors.values()].every((r) => r.synced())) this.caughtUp = true;
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
        continue;
      }
      try {
        if (item.key === undefined) await this.enqueueLocal(item.rule);
        else await this.sync(item.rule, item.key);
      } catch (err) {
        if (signal.aborted) return;
        const what = item.key ? `${item.rule.plural} ${item.key}` : `local ${item.rule.plural}`;
        this.o.log(`mirror: ${what}: ${(err as Error).message}; trying again`);
        this.later(item.rule.plural, item.key);
      }
    }
  }

  /** Looks at a key (or, without one, every local object of the kind) again after retryMs. */
  private later(plural: string, key: string | undefined): void {
    const retry = setTimeout(() => {
      this.timers.delete(retry);
      if (key === undefined) this.scanLocal.add(plural);
      else this.enqueue(plural, key);
      this.poke();
    }, this.o.retryMs ?? 1000);
    retry.unref();
    this.timers.add(retry);
  }

  /** Queues every local object of a kind: one the control plane no longer has is deleted by its sync. */
  private async enqueueLocal(rule: KindRule): Promise<void> {
    const local = await this.o.store.list(rule.plural);
    for (const obj of local.items) this.enqueue(rule.plural, keyOf(obj));
  }

  /** True when the node mirrors this upstream object (a bound run, or something of one). */
  private inScope(rule: KindRule, upstream: KubeObject): boolean {
    if (upstream.metadata.deletionTimestamp) return false;
    if (rule.scope !== 'ofBoundRuns') return true;
    const run = runKeyOf(upstream);
    return run !== undefined && this.reflectors.get('runs')!.cache.has(run);
  }

  /** Brings the local copy of one key in line with the control plane (level-based: reads both sides). */
  private async sync(rule: KindRule, key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const upstream = this.reflectors.get(rule.plural)!.cache.get(key);
    for (let attempt = 1; ; attempt++) {
      const local = await this.o.store.find(rule.plural, namespace, name);
      try {
        if (!upstream || !this.inScope(rule, upstream)) {
          await this.removeLocal(rule, local, upstream !== undefined);
          return;
        }
        if (!local) {
          await this.o.store.create(rule.plural, localCopy(rule, upstream), { keepIdentity: true });
          return;
        }
        // An approval is raised on the node and copied up by the ingest: should that copy carry
        // another uid, it is still the node's own approval (the run waits on it), never replaced.
        if (local.metadata.uid !== upstream.metadata.uid && rule.plural !== 'approvals') {
          // Recreated upstream under the same name: the old copy goes first (its finalizers run), then the new one comes.
          if (!(await this.removeLocal(rule, local, true))) {
            this.later(rule.plural, key);
            return;
          }
          continue;
        }
        if (local.metadata.deletionTimestamp) return;
        await this.update(rule, upstream, local);
        return;
      } catch (err) {
        const retry = isReason(err, StatusReason.Conflict) || isReason(err, StatusReason.AlreadyExists) || isReason(err, StatusReason.NotFound);
        if (!retry || attempt >= CONFLICT_TRIES) throw err;
      }
    }
  }

  /** Deletes a local copy the node no longer mirrors; resolves true when it is removed (or was never there). */
  private async removeLocal(rule: KindRule, local: KubeObject | undefined, upstreamHasIt: boolean): Promise<boolean> {
    if (!local) return true;
    if (local.metadata.deletionTimestamp) return false;
    if (!upstreamHasIt && !mayDeleteOrphan(rule, local)) return false;
    const res = await this.o.store.delete(rule.plural, local.metadata.namespace ?? '', local.metadata.name!, { preconditions: { uid: local.metadata.uid } });
    return res.removed;
  }

  /** Status first, then metadata and spec: the mark written last means "all of this upstream version is here". */
  private async update(rule: KindRule, upstream: KubeObject, local: KubeObject): Promise<void> {
    const change = localChange(rule, upstream, local);
    const hasStatus = scheme.byPlural(rule.plural)?.hasStatus ?? true;
    let rv = local.metadata.resourceVersion;
    if (change.status && hasStatus) {
      const written = await this.o.store.updateStatus(rule.plural, { ...local, status: change.status.value as KubeObject['status'] });
      rv = written.metadata.resourceVersion;
    }
    let object = change.object;
    if (change.status && !hasStatus) object = { ...(object ?? local), status: change.status.value as KubeObject['status'] };
    if (object) await this.o.store.update(rule.plural, { ...object, metadata: { ...object.metadata, resourceVersion: rv } }, { keepIdentity: true });
  }
}
