/**
 * Server-side apply as a pure computation: the object and managedFields that applying a
 * configuration to the live object produces (merge, removal of fields the manager gave up,
 * conflict check). The service wraps it with reads, admission and the store write.
 */
import type { KubeObject, ManagedFieldsEntry } from '../../resources/meta.js';
import { fieldsOf, removeAt, toFieldsV1 } from './fieldset.js';
import { planApply, type OwnershipContext } from './managed-fields.js';
import { mergeApplied } from './patch.js';
import { metaTime } from '../../resources/time.js';

/** The managedFields of an object created by an apply: the applier owns what it applied. */
export function appliedCreateFields(applied: KubeObject, ctx: OwnershipContext): ManagedFieldsEntry[] {
  return [
    {
      manager: ctx.manager,
      operation: 'Apply',
      apiVersion: ctx.apiVersion,
      time: metaTime(ctx.now ?? new Date()),
      fieldsType: 'FieldsV1',
      fieldsV1: toFieldsV1(fieldsOf(applied, !ctx.hasStatus, ctx.listKeys)),
    },
  ];
}

/**
 * Applies `applied` to `live`: throws 409 on conflicts unless `force`, and returns the merged
 * object (resourceVersion of `live`, not yet admitted) with its new managedFields. Through the
 * status subresource only `status` is applied.
 */
export function applyConfiguration(
  live: KubeObject,
  applied: KubeObject,
  ctx: OwnershipContext,
  opts: { force: boolean; subresource?: 'status' },
): { object: KubeObject; managedFields: ManagedFieldsEntry[] } {
  const statusOnly = opts.subresource === 'status';
  // Identity stays in a status-only configuration so the envelope still matches.
  const scoped: KubeObject = statusOnly
    ? { apiVersion: applied.apiVersion, kind: applied.kind, metadata: { name: applied.metadata.name, namespace: applied.metadata.namespace }, status: applied.status }
    : applied;
  const plan = planApply(live, scoped, { ...ctx, hasStatus: !statusOnly && ctx.hasStatus }, opts.force);
  const object = mergeApplied(live, scoped, ctx.listKeys) as KubeObject;
  for (const path of plan.remove) removeAt(object, path);
  object.metadata.resourceVersion = live.metadata.resourceVersion;
  object.metadata.managedFields = plan.managedFields;
  return { object, managedFields: plan.managedFields };
}
