/**
 * How the scheduler and the node-lifecycle controller read the many objects they weigh (every
 * node, every run bound to one): from the shared informers' caches in a controller set, straight
 * from the store where there is none (tests, tools). Single objects they act on are read from the
 * store, fresh.
 */
import type { Store } from '../../api/store/store.js';
import type { KubeObject } from '../../resources/meta.js';
import type { Informers } from '../runtime/builder.js';

/** Lists the objects of a resource (every namespace) that pass `filter`. */
export type Lister = <T extends KubeObject>(plural: string, filter?: (obj: T) => boolean) => Promise<T[]>;

/** A Lister over shared informers: what the controllers already watch, no store round trip. */
export function informerLister(informers: Informers): Lister {
  return async <T extends KubeObject>(plural: string, filter?: (obj: T) => boolean) => informers.of<T>(plural).list(filter);
}

/** A Lister that lists the store each time. */
export function storeLister(store: Store): Lister {
  return async <T extends KubeObject>(plural: string, filter?: (obj: T) => boolean) => {
    const { items } = await store.list<T>(plural, {});
    return filter ? items.filter(filter) : items;
  };
}
