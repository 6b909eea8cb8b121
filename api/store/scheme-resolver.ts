/** The store's view of the scheme: how each plural is stored (kind, scope, status subresource). */
import type { Scheme } from '../../resources/scheme.js';
import type { ResourceResolver } from './store.js';

export function schemeResolver(scheme: Scheme): ResourceResolver {
  return (plural) => {
    const def = scheme.byPlural(plural);
    return def && { plural: def.plural, kind: def.kind, apiVersion: def.apiVersion, namespaced: def.namespaced, hasStatus: def.hasStatus };
  };
}
