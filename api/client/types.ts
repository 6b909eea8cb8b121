/**
 * Wire types the client speaks besides objects and lists: resource references, Tables,
 * watch events and discovery documents (their Kubernetes shapes, trimmed to what we read).
 */
import type { KubeObject } from '../../resources/meta.js';

/** Which REST collection a request addresses. The core group is the empty string (`/api/v1`). */
export interface ResourceRef {
  group: string;
  version: string;
  plural: string;
  kind: string;
  namespaced: boolean;
}

/** A column of a `meta.k8s.io/v1` Table. */
export interface TableColumnDefinition {
  name: string;
  type: string;
  format?: string;
  description?: string;
  priority?: number;
}

/** A row of a Table; `object` is the object or its PartialObjectMetadata, per `includeObject`. */
export interface TableRow {
  cells: unknown[];
  object?: KubeObject;
}

/** A `meta.k8s.io/v1` Table as served with `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`. */
export interface Table {
  kind: 'Table';
  apiVersion: string;
  metadata: { resourceVersion?: string; continue?: string };
  columnDefinitions: TableColumnDefinition[];
  rows: TableRow[];
}

/** One watch event, as streamed in newline-delimited JSON. */
export interface WatchEvent<T = KubeObject> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

/** One entry of an `APIResourceList`. */
export interface APIResource {
  name: string;
  singularName?: string;
  namespaced: boolean;
  kind: string;
  verbs?: string[];
  shortNames?: string[];
  categories?: string[];
}

/** `GET /apis/{group}/{version}` and `GET /api/v1`. */
export interface APIResourceList {
  kind: 'APIResourceList';
  groupVersion: string;
  resources: APIResource[];
}

/** The body of `GET /version`. */
export interface VersionInfo {
  major?: string;
  minor?: string;
  gitVersion: string;
  gitCommit?: string;
  buildDate?: string;
  goVersion?: string;
  platform?: string;
  [extra: string]: unknown;
}

/** Patch content types, by kubectl's `--type` names plus server-side apply. */
export const PatchType = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;
export type PatchType = keyof typeof PatchType;
