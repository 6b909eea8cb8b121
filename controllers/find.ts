/** Reads one object from the store, or undefined when it does not exist. */
import type { Store } from '../api/store/store.js';
import type { KubeObject } from '../resources/meta.js';

export function findObject<T extends KubeObject>(store: Store, plural: string, namespace: string, name: string): Promise<T | undefined> {
  // Not get() + catch: a missing object is routine for controllers, and an error costs a stack trace.
  return store.find<T>(plural, namespace, name);
}

/** Writes `status` when it differs from what is stored (ignoring nothing); returns true when written. */
export async function writeStatusIfChanged<T extends KubeObject>(store: Store, plural: string, obj: T, status: T['status']): Promise<boolean> {
  if (JSON.stringify(obj.status ?? {}) === JSON.stringify(status ?? {})) return false;
  await store.updateStatus(plural, { ...obj, status });
  return true;
}
