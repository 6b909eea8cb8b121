/**
 * The rows of sk_objects and sk_changes (STORE_MIGRATIONS in ./backend.ts) as both SQL backends
 * read them, and their conversion to what the Store layer works with.
 */
import type { ChangeRecord, StoredObject } from './backend.js';

/** A row of sk_objects. */
export interface ObjectRow {
  plural: string;
  namespace: string;
  name: string;
  uid: string;
  resource_version: number;
  object: string;
}

/** A row of sk_changes. */
export interface ChangeRow {
  resource_version: number;
  plural: string;
  namespace: string;
  name: string;
  type: ChangeRecord['type'];
  object: string;
  prev_object: string | null;
}

/**
 * Row converters whose object texts pass through `json` (SQLite stores the text as written;
 * Postgres JSONB forgets key order and restores it there).
 */
export function rowConverters(json: (text: string) => string): { toStored(r: ObjectRow): StoredObject; toChange(r: ChangeRow): ChangeRecord } {
  return {
    toStored: (r) => ({ plural: r.plural, namespace: r.namespace, name: r.name, uid: r.uid, resourceVersion: r.resource_version, json: json(r.object) }),
    toChange: (r) => ({
      resourceVersion: r.resource_version,
      plural: r.plural,
      namespace: r.namespace,
      name: r.name,
      type: r.type,
      json: json(r.object),
      ...(r.prev_object !== null ? { prevJson: json(r.prev_object) } : {}),
    }),
  };
}
