/**
 * Field selectors are limited to the fields a kind declares (`selectableFields`) plus
 * metadata.name and metadata.namespace, as kube-apiserver limits them: a misspelled field would
 * otherwise match every object, and `delete --field-selector spec.sesion!=x` would delete them all.
 */
import type { KindDefinition } from '../../resources/scheme.js';
import { parseFieldSelector } from '../../resources/selectors.js';
import { ApiError, StatusReason } from '../errors.js';

/** Fields every kind can be selected by. */
const ALWAYS_SELECTABLE = ['metadata.name', 'metadata.namespace'];

/** The fields `def` can be selected by, in the order they are listed in messages. */
export function selectableFieldsOf(def: KindDefinition): string[] {
  return [...ALWAYS_SELECTABLE, ...def.selectableFields];
}

/** Throws 400 naming the first field of `selector` that `def` cannot be selected by (or that does not parse). */
export function checkFieldSelector(def: KindDefinition, selector: string | undefined): void {
  if (!selector) return;
  const known = selectableFieldsOf(def);
  for (const { path } of parseFieldSelector(selector)) {
    if (known.includes(path)) continue;
    const message = `field label not supported: "${path}" is not a known field selector for ${def.plural}; supported: ${known.join(', ')}`;
    throw new ApiError(StatusReason.BadRequest, message, {
      kind: def.plural,
      causes: [{ field: 'fieldSelector', reason: 'FieldValueNotSupported', message }],
    });
  }
}
