/**
 * The changes `sidekick config` verbs make to a kubeconfig, as pure functions on the parsed file
 * (fields they do not touch, and entries kubectl or others wrote, stay as they were).
 */
import type { Kubeconfig, KubeconfigCluster, KubeconfigUser } from '../../api/client/kubeconfig.js';

/** What `set-context` sets; an absent field is left unchanged. */
export interface ContextChange {
  server?: string;
  token?: string;
  /** PEM of the certificate authority, embedded as `certificate-authority-data`. */
  certificateAuthority?: string;
  insecureSkipTlsVerify?: boolean;
  namespace?: string;
}

/**
 * Creates or modifies context `name`. A new context gets a cluster and a user named after it;
 * server and TLS changes go to the context's cluster, the token to its user (each created, named
 * after the context, when the context has none yet).
 */
export function setContext(config: Kubeconfig, name: string, change: ContextChange): 'created' | 'modified' {
  let entry = config.contexts.find((c) => c.name === name);
  const created = !entry;
  if (!entry) {
    entry = { name, context: { cluster: name, user: name } };
    config.contexts.push(entry);
  }
  const context = entry.context;
  if (change.namespace !== undefined) context.namespace = change.namespace;
  const touchesCluster = change.server !== undefined || change.certificateAuthority !== undefined || change.insecureSkipTlsVerify !== undefined;
  if (touchesCluster || created) {
    context.cluster ||= name;
    const cluster = entryOf(config.clusters, 'cluster', context.cluster) as KubeconfigCluster;
    if (change.server !== undefined) cluster.server = change.server;
    // kubectl refuses a cluster with both: a trusted CA and no verification at all contradict.
    if (change.certificateAuthority !== undefined) {
      cluster['certificate-authority-data'] = Buffer.from(change.certificateAuthority).toString('base64');
      delete cluster['certificate-authority'];
      delete cluster['insecure-skip-tls-verify'];
    }
    if (change.insecureSkipTlsVerify) {
      cluster['insecure-skip-tls-verify'] = true;
      delete cluster['certificate-authority-data'];
      delete cluster['certificate-authority'];
    } else if (change.insecureSkipTlsVerify === false) delete cluster['insecure-skip-tls-verify'];
  }
  if (change.token !== undefined || created) {
    context.user ||= name;
    const user = entryOf(config.users, 'user', context.user) as KubeconfigUser;
    if (change.token !== undefined) {
      user.token = change.token;
      delete user.tokenFile;
    }
  }
  return created ? 'created' : 'modified';
}

/** The body of the entry called `name` in `list`, added empty when missing. */
function entryOf(list: { name: string }[], key: 'cluster' | 'user', name: string): Record<string, unknown> {
  let item = list.find((i) => i.name === name) as Record<string, unknown> | undefined;
  if (!item) {
    item = { name, [key]: {} };
    list.push(item as { name: string });
  }
  return item[key] as Record<string, unknown>;
}

/**
 * Removes context `name`, and the cluster and user named after it when no other context uses
 * them (they hold its token, which should not outlive it). A removed current context is unset, so
 * the CLI falls back to the local daemon instead of failing on a context that is gone.
 * Returns false when there is no such context.
 */
export function deleteContext(config: Kubeconfig, name: string): { deleted: boolean; wasCurrent: boolean } {
  const entry = config.contexts.find((c) => c.name === name);
  if (!entry) return { deleted: false, wasCurrent: false };
  config.contexts = config.contexts.filter((c) => c !== entry);
  const { cluster, user } = entry.context;
  if (cluster === name && !config.contexts.some((c) => c.context.cluster === name)) config.clusters = config.clusters.filter((c) => c.name !== name);
  if (user === name && !config.contexts.some((c) => c.context.user === name)) config.users = config.users.filter((u) => u.name !== name);
  const wasCurrent = config['current-context'] === name;
  if (wasCurrent) delete config['current-context'];
  return { deleted: true, wasCurrent };
}

const REDACTED = 'REDACTED';
const DATA_OMITTED = 'DATA+OMITTED';

/** A copy with secrets hidden as `kubectl config view` hides them: tokens and passwords REDACTED, key and certificate data DATA+OMITTED. */
export function redacted(config: Kubeconfig): Kubeconfig {
  const copy = structuredClone(config);
  for (const { user } of copy.users) {
    for (const field of ['token', 'password']) if (user[field]) user[field] = REDACTED;
    for (const field of ['client-key-data', 'client-certificate-data']) if (user[field]) user[field] = DATA_OMITTED;
  }
  for (const { cluster } of copy.clusters) if (cluster['certificate-authority-data']) cluster['certificate-authority-data'] = DATA_OMITTED;
  return copy;
}

/** Only the current context and the cluster and user it names (`config view --minify`); throws a one-line message without one. */
export function minified(config: Kubeconfig): Kubeconfig {
  const name = config['current-context'];
  if (!name) throw new Error('current-context must exist in order to minify');
  const entry = config.contexts.find((c) => c.name === name);
  if (!entry) throw new Error(`cannot locate context ${name}`);
  return {
    ...config,
    contexts: [entry],
    clusters: config.clusters.filter((c) => c.name === entry.context.cluster),
    users: config.users.filter((u) => u.name === entry.context.user),
  };
}

/** kubectl's get-contexts columns for one context. */
export interface ContextRow {
  CURRENT: string;
  NAME: string;
  CLUSTER: string;
  AUTHINFO: string;
  NAMESPACE: string;
}

/** The rows of `config get-contexts`, sorted by name as kubectl sorts them. */
export function contextRows(config: Kubeconfig): ContextRow[] {
  return [...config.contexts]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((c) => ({
      CURRENT: c.name === config['current-context'] ? '*' : '',
      NAME: c.name,
      CLUSTER: c.context.cluster ?? '',
      AUTHINFO: c.context.user ?? '',
      NAMESPACE: c.context.namespace ?? '',
    }));
}
