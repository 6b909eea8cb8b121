/**
 * Which lists of a kind are maps keyed by some of their items' fields, read once from the kind's
 * schema (`x-kubernetes-list-type: map` with `x-kubernetes-list-map-keys`), as server-side apply
 * needs it: keyed lists merge item by item and are owned per item; every other list is atomic.
 */
import type { KindDefinition } from '../../resources/scheme.js';

/** Dotted property path without indices (`spec.members`) → the list's key fields. */
export type ListKeys = ReadonlyMap<string, readonly string[]>;

interface SchemaNode {
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  anyOf?: SchemaNode[];
  oneOf?: SchemaNode[];
  allOf?: SchemaNode[];
  'x-kubernetes-list-type'?: string;
  'x-kubernetes-list-map-keys'?: string[];
}

/** Lists Kubernetes keys in ObjectMeta, whatever our schema declares. */
const METADATA_KEYS: [string, string[]][] = [['metadata.ownerReferences', ['uid']]];

const cache = new WeakMap<KindDefinition, ListKeys>();

function collect(node: SchemaNode | undefined, path: string, out: Map<string, readonly string[]>): void {
  if (!node || typeof node !== 'object') return;
  const keys = node['x-kubernetes-list-map-keys'];
  if (node['x-kubernetes-list-type'] === 'map' && Array.isArray(keys) && keys.length > 0) out.set(path, keys);
  for (const [name, child] of Object.entries(node.properties ?? {})) collect(child, path ? `${path}.${name}` : name, out);
  collect(node.items, path, out);
  for (const alt of [...(node.anyOf ?? []), ...(node.oneOf ?? []), ...(node.allOf ?? [])]) collect(alt, path, out);
}

/** The keyed lists of a kind (computed on first use, then cached). */
export function listKeysOf(def: KindDefinition): ListKeys {
  let keys = cache.get(def);
  if (!keys) {
    const out = new Map<string, readonly string[]>(METADATA_KEYS);
    collect(def.schema as unknown as SchemaNode, '', out);
    keys = out;
    cache.set(def, keys);
  }
  return keys;
}
