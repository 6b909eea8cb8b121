/** Reads one object from the store, or undefined when it does not exist. */
import type { Store } from '../api/store/store.js';
import type { KubeObject } from '../resources/meta.js';

export function findObject<T extends KubeObject>(store: Store, plural: string, namespace: string, name: string): Promise<T | undefined> {
  // Not get() + catch: a missing object is routine for controllers, and an error costs a stack trace.
  return store.find<T>(plural, namespace, name);
}

