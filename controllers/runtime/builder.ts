/**
 * Declares a controller the controller-runtime way: the kind it reconciles, the children it owns,
 * the other kinds it watches and how their changes map to its keys — then a reconciler. Informers
 * are shared per resource (one list+watch however many controllers watch it), and every informer
 * and controller comes back as a Runnable for the Manager, so each controller folder registers
 * itself and one list names them all.
 *
 *   controllerFor<Run>('Run', 'runs', informers).when(specOrPhaseChanged)
 *     .watches<Session>('sessions', (c) => queue.front(...))
 *     .reconcile(new RunReconciler(...))
 */
import type { KubeObject } from '../../resources/meta.js';
import type { ControllerMetrics } from '../../api/metrics.js';
import { Controller, type Reconciler } from './controller.js';
import { Informer, objectKey, type InformerOptions, type ListWatcher } from './informer.js';
import type { Runnable } from './manager.js';

/** A change an informer saw. A resync reports every cached object as an update with `old === obj`. */
export type Change<T> = { type: 'add'; obj: T } | { type: 'update'; old: T; obj: T } | { type: 'delete'; obj: T };

/** Maps a change of a watched object to the keys (`namespace/name`) of the objects to reconcile. */
export type KeyMapper<T> = (change: Change<T>) => Iterable<string>;

/**
 * The informers of one controller set, one per resource, made on first use — and the metrics sink
 * the set's controllers report to, since every controller is declared over these informers.
 */
export class Informers {
  private readonly byPlural = new Map<string, Informer>();

  constructor(
    private readonly source: ListWatcher,
    private readonly opts: InformerOptions = {},
    readonly metrics?: ControllerMetrics,
  ) {}

  /** True once every informer made so far has listed (the `informers-synced` readiness check). */
  synced(): boolean {
    return [...this.byPlural.values()].every((i) => i.hasSynced());
  }

  /** The shared informer of a resource. */
  of<T extends KubeObject>(plural: string): Informer<T> {
    let informer = this.byPlural.get(plural);
    if (!informer) this.byPlural.set(plural, (informer = new Informer(this.source, plural, this.opts)));
    return informer as unknown as Informer<T>;
  }

  /** Every informer made, as Runnables. */
  runnables(): Runnable[] {
    return [...this.byPlural.values()].map((i) => ({ name: `informer/${i.plural}`, start: (signal: AbortSignal) => i.run(signal) }));
  }
}

/** Calls `map` for every change an informer reports. */
export function onChange<T extends KubeObject>(informer: Informer<T>, map: (change: Change<T>) => void): void {
  informer.addHandlers({
    onAdd: (obj) => map({ type: 'add', obj }),
    onUpdate: (old, obj) => map({ type: 'update', old, obj }),
    onDelete: (obj) => map({ type: 'delete', obj }),
  });
}

/** The keys of the controlling owners of `kind` of an object (its controller ownerReference). */
export function controllerOwners(obj: KubeObject, kind: string): string[] {
  const ns = obj.metadata.namespace;
  return (obj.metadata.ownerReferences ?? []).filter((o) => o.controller && o.kind === kind).map((o) => (ns ? `${ns}/${o.name}` : o.name));
}

export class ControllerBuilder<T extends KubeObject> {
  private name: string;
  private workerCount = 2;
  private own: (change: Change<T>) => boolean = () => true;
  private readonly wiring: ((controller: Controller) => void)[] = [];
  private readonly synced: Informer[] = [];

  constructor(
    private readonly kind: string,
    private readonly plural: string,
    private readonly informers: Informers,
    private readonly log: (line: string) => void,
  ) {
    this.name = `${kind.toLowerCase()}-controller`;
  }

  /** Names the controller (default `<kind>-controller`). */
  named(name: string): this {
    this.name = name;
    return this;
  }

  /** How many keys are reconciled at once (default 2). */
  workers(n: number): this {
    this.workerCount = n;
    return this;
  }

  /** Which changes of the reconciled kind itself wake its key (default: every change). */
  when(filter: (change: Change<T>) => boolean): this {
    this.own = filter;
    return this;
  }

  /** Children that wake their controlling owner of this kind when `filter` says they changed (default: every change). */
  owns<C extends KubeObject>(childPlural: string, filter: (change: Change<C>) => boolean = () => true): this {
    return this.watches<C>(childPlural, (c) => (filter(c) ? controllerOwners(c.obj, this.kind) : []));
  }

  /** Another resource whose changes wake the keys `map` returns. */
  watches<O extends KubeObject>(plural: string, map: KeyMapper<O>): this {
    const informer = this.informers.of<O>(plural);
    this.synced.push(informer as unknown as Informer);
    this.wiring.push((controller) =>
      onChange(informer, (c) => {
        for (const key of map(c)) controller.enqueue(key);
      }),
    );
    return this;
  }

  /** Builds the controller (a Runnable that starts once its informers have listed). */
  reconcile(reconciler: Reconciler): Controller {
    const own = this.informers.of<T>(this.plural);
    const synced = [own as unknown as Informer, ...this.synced];
    const controller = new Controller(reconciler, { name: this.name, workers: this.workerCount, log: this.log, metrics: this.informers.metrics, cachesSynced: () => Promise.all(synced.map((i) => i.waitForSync())).then(() => undefined) });
    onChange(own, (c) => {
      if (this.own(c)) controller.enqueue(objectKey(c.obj));
    });
    for (const wire of this.wiring) wire(controller);
    return controller;
  }
}

/** Starts declaring the controller of a kind (`'Run'`, `'runs'`) over a set of shared informers. */
export function controllerFor<T extends KubeObject>(kind: string, plural: string, informers: Informers, log: (line: string) => void = () => undefined): ControllerBuilder<T> {
  return new ControllerBuilder<T>(kind, plural, informers, log);
}
