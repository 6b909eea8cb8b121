/** The auth endpoints the CLI talks to: identity tokens and access reviews. */
import type { ResourceRef } from '../../api/client/types.js';

/** `tokens.auth.sidekicks.dev`: the owner's view of the identity tokens (cluster-scoped). */
export const TOKENS: ResourceRef = { group: 'auth.sidekicks.dev', version: 'v1alpha1', plural: 'tokens', kind: 'Token', namespaced: false };

/** Where `auth can-i` posts its question (what `kubectl auth can-i` posts too). */
export const SELF_SUBJECT_ACCESS_REVIEWS = '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews';
