/**
 * The kubeconfig file the CLI keeps its contexts in (one per daemon or control plane): where it
 * is, how it is read (synchronously, and only when a command needs it, so start-up stays cheap),
 * and what a context points at. The format is kubectl's, so `kubectl --kubeconfig FILE` reads the
 * same file; fields this module does not know are kept as they are.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join } from 'node:path';
import { sidekickHome } from '../home.js';

/** A cluster entry's fields (kubectl's names). */
export interface KubeconfigCluster {
  server?: string;
  'certificate-authority'?: string;
  'certificate-authority-data'?: string;
  'insecure-skip-tls-verify'?: boolean;
  [field: string]: unknown;
}

/** A user entry's fields (kubectl's names); only bearer tokens are used here. */
export interface KubeconfigUser {
  token?: string;
  tokenFile?: string;
  [field: string]: unknown;
}

/** A context: which cluster, as which user, in which namespace. */
export interface KubeconfigContext {
  cluster?: string;
  user?: string;
  namespace?: string;
  [field: string]: unknown;
}

/** A whole kubeconfig (kubectl's `Config`), lists always present after parsing. */
export interface Kubeconfig {
  apiVersion?: string;
  kind?: string;
  clusters: { name: string; cluster: KubeconfigCluster }[];
  users: { name: string; user: KubeconfigUser }[];
  contexts: { name: string; context: KubeconfigContext }[];
  'current-context'?: string;
  preferences?: Record<string, unknown>;
  [field: string]: unknown;
}

/** A kubeconfig that cannot be used: one line naming the file (and the line, when known). */
export class KubeconfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KubeconfigError';
  }
}

/** An empty kubeconfig, as kubectl starts one. */
export function emptyKubeconfig(): Kubeconfig {
  return { apiVersion: 'v1', kind: 'Config', clusters: [], users: [], contexts: [], preferences: {} };
}

/** Where the kubeconfig is read from and written to. */
export interface KubeconfigLocation {
  /** The file path. */
  path: string;
  /**
   * True when named by `--kubeconfig`: a missing file is then an error to read, as with kubectl's
   * flag. A missing `$SIDEKICK_KUBECONFIG` is no kubeconfig yet, as kubectl treats `$KUBECONFIG`.
   */
  explicit: boolean;
}

/** `--kubeconfig FILE`, else `$SIDEKICK_KUBECONFIG`, else the home's `kubeconfig` (`~/.sidekick/kubeconfig`). */
export function kubeconfigLocation(flags: { kubeconfig?: string; home?: string }, env: NodeJS.ProcessEnv = process.env): KubeconfigLocation {
  if (flags.kubeconfig) return { path: flags.kubeconfig, explicit: true };
  return { path: env.SIDEKICK_KUBECONFIG || sidekickHome(flags.home, env).kubeconfig, explicit: false };
}

type YamlModule = typeof import('yaml');

/**
 * The yaml library, loaded on first use: most commands never read a kubeconfig, and importing the
 * parser costs more start-up time than the rest of a `get`.
 */
function yaml(): YamlModule {
  return createRequire(import.meta.url)('yaml') as YamlModule;
}

/** Parses kubeconfig text; throws KubeconfigError naming `file`, the line and the field. */
export function parseKubeconfig(text: string, file: string, lib: YamlModule = yaml()): Kubeconfig {
  const lineCounter = new lib.LineCounter();
  const doc = lib.parseDocument(text, { lineCounter, uniqueKeys: true });
  const fail = (where: string, message: string): never => {
    throw new KubeconfigError(`error loading config file "${file}": ${where}${message}`);
  };
  const first = doc.errors[0];
  if (first) {
    const message = first.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
    fail(first.linePos ? `line ${first.linePos[0].line}: ` : '', message);
  }
  const lineOf = (path: (string | number)[]): string => {
    const node = doc.getIn(path, true) as { range?: [number, number, number] } | undefined;
    return node?.range ? `line ${lineCounter.linePos(node.range[0]).line}: ` : '';
  };
  const raw: unknown = doc.toJS() ?? {};
  if (!isMap(raw)) return fail('', 'the document must be a mapping');
  const config = raw as Kubeconfig;
  for (const [list, entry] of [['clusters', 'cluster'], ['users', 'user'], ['contexts', 'context']] as const) {
    const items: unknown = config[list] ?? [];
    if (!Array.isArray(items)) return fail(lineOf([list]), `${list}: must be a list`);
    items.forEach((item: unknown, i) => {
      if (!isMap(item) || typeof item.name !== 'string' || item.name === '') fail(lineOf([list, i]), `${list}[${i}].name: required`);
      const body = (item as Record<string, unknown>)[entry];
      if (body !== undefined && body !== null && !isMap(body)) fail(lineOf([list, i, entry]), `${list}[${i}].${entry}: must be a mapping`);
      (item as Record<string, unknown>)[entry] = body ?? {};
    });
    (config as Record<string, unknown>)[list] = items;
  }
  const current = config['current-context'];
  if (current !== undefined && current !== null && typeof current !== 'string') fail(lineOf(['current-context']), 'current-context: must be a string');
  if (!current) delete config['current-context'];
  return config;
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads and parses the kubeconfig at `location`; undefined when there is none (and none was asked for by name). */
export function readKubeconfigSync(location: KubeconfigLocation): Kubeconfig | undefined {
  let text: string;
  try {
    text = readFileSync(location.path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !location.explicit) return undefined;
    throw new KubeconfigError(`error loading config file "${location.path}": ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  return parseKubeconfig(text, location.path);
}

/** What one context points at, resolved through its cluster and user entries. */
export interface ContextEndpoint {
  name: string;
  /** `https://…`, `http://…` or `unix:///path/to/socket`. */
  server: string;
  token?: string;
  /** PEM certificate authority (embedded data or the file it names). */
  ca?: string;
  insecureSkipTlsVerify: boolean;
  namespace?: string;
}

/**
 * The endpoint of context `name` in `config` (read from `file`, against which relative paths
 * resolve, as kubectl resolves them). Throws KubeconfigError in kubectl's words when the context,
 * its cluster or its server is missing.
 */
export function contextEndpoint(config: Kubeconfig, name: string, file: string): ContextEndpoint {
  const context = config.contexts.find((c) => c.name === name)?.context;
  if (!context) throw new KubeconfigError(`context "${name}" does not exist`);
  const cluster = config.clusters.find((c) => c.name === context.cluster)?.cluster;
  if (!cluster) throw new KubeconfigError(`context "${name}": cluster "${context.cluster ?? ''}" does not exist in ${file}`);
  if (typeof cluster.server !== 'string' || cluster.server === '') throw new KubeconfigError(`context "${name}": cluster "${context.cluster}" has no server in ${file}`);
  const user = config.users.find((u) => u.name === context.user)?.user;
  if (context.user && !user) throw new KubeconfigError(`context "${name}": user "${context.user}" does not exist in ${file}`);
  const relative = (p: string) => (isAbsolute(p) ? p : join(dirname(file), p));
  const readNamed = (field: string, p: string): string => {
    try {
      return readFileSync(relative(p), 'utf8');
    } catch (err) {
      throw new KubeconfigError(`context "${name}": ${field} ${relative(p)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  };
  let ca: string | undefined;
  if (typeof cluster['certificate-authority-data'] === 'string') ca = Buffer.from(cluster['certificate-authority-data'], 'base64').toString('utf8');
  else if (typeof cluster['certificate-authority'] === 'string') ca = readNamed('certificate-authority', cluster['certificate-authority']);
  let token: string | undefined;
  if (typeof user?.token === 'string' && user.token) token = user.token;
  else if (typeof user?.tokenFile === 'string') token = readNamed('tokenFile', user.tokenFile).trim() || undefined;
  return {
    name,
    server: cluster.server,
    ...(token ? { token } : {}),
    ...(ca ? { ca } : {}),
    insecureSkipTlsVerify: cluster['insecure-skip-tls-verify'] === true,
    ...(typeof context.namespace === 'string' && context.namespace ? { namespace: context.namespace } : {}),
  };
}
