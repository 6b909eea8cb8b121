/**
 * Discovery documents kubectl reads before anything else: /version, /api, /api/v1, /apis, and for
 * every group-version the scheme serves (sidekicks.dev/v1alpha1, coordination.k8s.io/v1) its
 * /apis/{group} APIGroup and /apis/{group}/{version} APIResourceList. Built once per scheme;
 * kubectl accepts plain APIGroupList answers when it asks for aggregated discovery.
 */
import { AUTH_GROUP, AUTH_VERSION, AUTHORIZATION_GROUP } from '../auth/model.js';
import type { KindDefinition, Scheme } from '../../resources/scheme.js';

/** The Kubernetes version the server claims: the API level kubectl v1.32 is written against. */
const KUBE_MAJOR = '1';
const KUBE_MINOR = '32';

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const STATUS_VERBS = ['get', 'patch', 'update'];

/** The plural under which core/v1 serves our Events. */
export const CORE_EVENTS = 'events';

/** Every fixed discovery document, pre-serialised. */
export interface DiscoveryDocuments {
  version: string;
  api: string;
  apiV1: string;
  apis: string;
  /** The APIGroup of each group the scheme serves, by group name (`/apis/{group}`). */
  groups: ReadonlyMap<string, string>;
  /** The APIResourceList of each group-version the scheme serves, by `group/version`. */
  groupVersions: ReadonlyMap<string, string>;
  /** auth.sidekicks.dev: identity tokens. */
  authGroup: string;
  authGroupVersion: string;
  /** authorization.k8s.io: access and rules reviews (`kubectl auth can-i [--list]`). */
  authorizationGroup: string;
  authorizationGroupVersion: string;
}

function apiGroup(name: string, version: string): { name: string; versions: unknown[]; preferredVersion: unknown } {
  const gv = { groupVersion: `${name}/${version}`, version };
  return { name, versions: [gv], preferredVersion: gv };
}

function resourcesOf(def: KindDefinition): Record<string, unknown>[] {
  const main: Record<string, unknown> = {
    name: def.plural,
    singularName: def.singular,
    namespaced: def.namespaced,
    kind: def.kind,
    verbs: ALL_VERBS,
  };
  if (def.shortNames.length > 0) main.shortNames = def.shortNames;
  if (def.categories.length > 0) main.categories = def.categories;
  const out = [main];
  if (def.hasStatus) {
    out.push({ name: `${def.plural}/status`, singularName: '', namespaced: def.namespaced, kind: def.kind, verbs: STATUS_VERBS });
  }
  return out;
}

/** Builds the discovery documents of a scheme; `serverVersion` is our own release. */
export function buildDiscovery(scheme: Scheme, serverVersion: string): DiscoveryDocuments {
  // One version per group today; the first registered is the preferred one.
  const kindGroups = new Map<string, ReturnType<typeof apiGroup>>();
  const groupVersions = new Map<string, string>();
  for (const gv of scheme.groupVersions()) {
    if (!kindGroups.has(gv.group)) kindGroups.set(gv.group, apiGroup(gv.group, gv.version));
    groupVersions.set(
      gv.groupVersion,
      JSON.stringify({ kind: 'APIResourceList', apiVersion: 'v1', groupVersion: gv.groupVersion, resources: scheme.inGroupVersion(gv.group, gv.version).flatMap(resourcesOf) }),
    );
  }
  const authGroup = apiGroup(AUTH_GROUP, AUTH_VERSION);
  const authorizationGroup = apiGroup(AUTHORIZATION_GROUP, 'v1');
  return {
    version: JSON.stringify({
      major: KUBE_MAJOR,
      minor: KUBE_MINOR,
      gitVersion: `v${KUBE_MAJOR}.${KUBE_MINOR}.0-sidekicks.${serverVersion}`,
      gitCommit: '',
      gitTreeState: 'clean',
      buildDate: '1970-01-01T00:00:00Z',
      goVersion: `node${process.versions.node}`,
      compiler: 'node',
      platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
    }),
    api: JSON.stringify({ kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] }),
    apiV1: JSON.stringify({
      kind: 'APIResourceList',
      groupVersion: 'v1',
      // Read-only: Events are written as sidekicks.dev Events; core/v1 is a view for kubectl describe.
      resources: [{ name: CORE_EVENTS, singularName: 'event', namespaced: true, kind: 'Event', verbs: ['get', 'list', 'watch'] }],
    }),
    apis: JSON.stringify({ kind: 'APIGroupList', apiVersion: 'v1', groups: [...kindGroups.values(), authGroup, authorizationGroup] }),
    groups: new Map([...kindGroups].map(([name, g]) => [name, JSON.stringify({ kind: 'APIGroup', apiVersion: 'v1', ...g })])),
    groupVersions,
    authGroup: JSON.stringify({ kind: 'APIGroup', apiVersion: 'v1', ...authGroup }),
    authGroupVersion: JSON.stringify({
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: `${AUTH_GROUP}/${AUTH_VERSION}`,
      // Not stored objects: the owner's view of the token store (the token itself is shown once).
      resources: [{ name: 'tokens', singularName: 'token', namespaced: false, kind: 'Token', verbs: ['create', 'delete', 'get', 'list'] }],
    }),
    authorizationGroup: JSON.stringify({ kind: 'APIGroup', apiVersion: 'v1', ...authorizationGroup }),
    authorizationGroupVersion: JSON.stringify({
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: `${AUTHORIZATION_GROUP}/v1`,
      resources: [
        { name: 'selfsubjectaccessreviews', singularName: 'selfsubjectaccessreview', namespaced: false, kind: 'SelfSubjectAccessReview', verbs: ['create'] },
        { name: 'selfsubjectrulesreviews', singularName: 'selfsubjectrulesreview', namespaced: false, kind: 'SelfSubjectRulesReview', verbs: ['create'] },
      ],
    }),
  };
}
