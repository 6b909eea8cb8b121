/**
 * Applies one manifest: resolves its kind, then client-side apply (GET, then create or a
 * three-way merge PATCH keeping the last-applied annotation) or server-side apply (apply-patch
 * with a field manager). Returns kubectl's result word; failures come back as errors whose
 * message is already in kubectl's words.
 */
import type { ApiClient } from '../../api/client/client.js';
import type { KubeObject } from '../../resources/meta.js';
import type { ResolvedResource, ResourceResolver } from '../resource-resolver.js';
import { kindGroup } from '../resource-resolver.js';
import { isStatusError, PrintedError } from '../errors.js';
import type { Manifest } from './manifests.js';
import { readLastApplied, threeWayMergePatch, withLastApplied } from './three-way.js';

/** `none` applies for real; `client` validates locally; `server` sends dryRun=All. */
export type DryRun = 'none' | 'client' | 'server';

/** How to apply. */
export interface ApplyOptions {
  client: ApiClient;
  resolver: ResourceResolver;
  /** The namespace from -n, or undefined when not given. */
  namespaceFlag?: string;
  defaultNamespace: string;
  dryRun: DryRun;
  serverSide: boolean;
  forceConflicts: boolean;
  fieldManager?: string;
  /** What the server does with fields the schema does not declare; kubectl's default is Strict. */
  fieldValidation?: 'Strict' | 'Warn' | 'Ignore';
}

/** The outcome of one manifest. */
export interface ApplyResult {
  ref: ResolvedResource;
  namespace?: string;
  name: string;
  /** `created`, `configured`, `unchanged` or `serverside-applied`. */
  operation: string;
  /** The output line, e.g. `run.sidekicks.dev/hello created (server dry run)`. */
  line: string;
}

/** Resolves a manifest's kind, or throws kubectl's "resource mapping not found" error. */
export async function mappingFor(resolver: ResourceResolver, manifest: Manifest): Promise<ResolvedResource> {
  const { object } = manifest;
  const ref = await resolver.byKind(object.apiVersion, object.kind);
  if (!ref) {
    throw new PrintedError(
      `error: resource mapping not found for name: "${object.metadata?.name ?? ''}" namespace: "${object.metadata?.namespace ?? ''}" from "${manifest.source}": no matches for kind "${object.kind}" in version "${object.apiVersion}"`,
    );
  }
  return ref;
}

/** The namespace an object goes to, checking a manifest namespace against -n like kubectl. */
export function namespaceFor(ref: ResolvedResource, obj: KubeObject, opts: Pick<ApplyOptions, 'namespaceFlag' | 'defaultNamespace'>): string | undefined {
  if (!ref.namespaced) return undefined;
  const declared = obj.metadata?.namespace;
  if (declared && opts.namespaceFlag && declared !== opts.namespaceFlag) {
    throw new PrintedError(
      `error: the namespace from the provided object "${declared}" does not match the namespace "${opts.namespaceFlag}". You must pass '--namespace=${declared}' to perform this operation.`,
    );
  }
  return declared ?? opts.namespaceFlag ?? opts.defaultNamespace;
}

function suffix(dryRun: DryRun): string {
  return dryRun === 'client' ? ' (dry run)' : dryRun === 'server' ? ' (server dry run)' : '';
}

/** Applies one manifest. */
export async function applyManifest(manifest: Manifest, opts: ApplyOptions): Promise<ApplyResult> {
  const ref = await mappingFor(opts.resolver, manifest);
  const obj = manifest.object;
  const name = obj.metadata?.name;
  if (!name) throw new PrintedError(`error: error when retrieving current configuration of "${manifest.source}": resource name may not be empty`);
  const namespace = namespaceFor(ref, obj, opts);
  const result = (operation: string): ApplyResult => ({ ref, namespace, name, operation, line: `${kindGroup(ref)}/${name} ${operation}${suffix(opts.dryRun)}` });
  const body: KubeObject = namespace ? { ...obj, metadata: { ...obj.metadata, namespace } } : obj;

  if (opts.serverSide) {
    if (opts.dryRun === 'client') await validateLocally(ref, body, opts.fieldValidation);
    else {
      await withSource(manifest, 'applying', () =>
        opts.client.apply(ref, namespace, body, { fieldManager: opts.fieldManager ?? 'sidekick', force: opts.forceConflicts, dryRun: opts.dryRun === 'server', fieldValidation: opts.fieldValidation }),
      );
    }
    return result('serverside-applied');
  }

  const modified = withLastApplied(body);
  let live: KubeObject | undefined;
  try {
    live = await opts.client.get(ref, namespace, name);
  } catch (err) {
    if (!(isStatusError(err) && err.reason === 'NotFound')) throw err;
  }
  const fieldManager = opts.fieldManager ?? 'sidekick-client-side-apply';
  if (!live) {
    if (opts.dryRun === 'client') await validateLocally(ref, modified, opts.fieldValidation);
    else await withSource(manifest, 'creating', () => opts.client.create(ref, namespace, modified, { dryRun: opts.dryRun === 'server', fieldManager, fieldValidation: opts.fieldValidation }));
    return result('created');
  }
  const patch = threeWayMergePatch(readLastApplied(live), modified as unknown as Record<string, unknown>, live);
  if (Object.keys(patch).length === 0) return result('unchanged');
  if (opts.dryRun === 'client') await validateLocally(ref, modified, opts.fieldValidation);
  else {
    await withSource(manifest, 'patching', () =>
      opts.client.patch(ref, namespace, name, 'merge', patch, { dryRun: opts.dryRun === 'server', fieldManager, fieldValidation: opts.fieldValidation }),
    );
  }
  return result('configured');
}

/** Adds kubectl's `error when creating "FILE": ` context to non-validation API errors. */
async function withSource<T>(manifest: Manifest, verb: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isStatusError(err) && err.reason !== 'Invalid') err.message = `error when ${verb} "${manifest.source}": ${err.message}`;
    throw err;
  }
}

/** `--dry-run=client`: unknown fields (when Strict), defaults and schema validation with the scheme, no request. */
export async function validateLocally(ref: ResolvedResource, obj: KubeObject, fieldValidation: ApplyOptions['fieldValidation'] = 'Strict'): Promise<void> {
  const { scheme } = await import('../../resources/index.js');
  const validation = await import('../../resources/validation.js');
  const { invalid } = await import('../../api/errors.js');
  const def = scheme.byKind(obj.apiVersion, obj.kind) ?? scheme.resolve(ref.plural);
  if (!def) return;
  const unknown = fieldValidation === 'Strict' ? validation.findUnknownFields(def, obj) : [];
  if (unknown.length > 0) {
    const { ApiError, StatusReason } = await import('../../api/errors.js');
    throw new ApiError(StatusReason.BadRequest, `strict decoding error: ${unknown.map((f) => `unknown field "${f}"`).join(', ')}`);
  }
  const defaulted = validation.applyDefaults(def, obj);
  const errors = [...validation.validateMetadata(def, defaulted), ...validation.validateObject(def, defaulted)];
  if (errors.length) throw invalid(def.kind, obj.metadata?.name ?? '', errors);
}
