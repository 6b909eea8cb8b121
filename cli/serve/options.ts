/**
 * What configures `sidekick serve` (a runtime node), resolved once from flags and environment as
 * seed 000 lists them — a flag beats its variable — into {@link ServeOptions} with every field
 * decided. A bad value is refused with one line naming the flag and its variable.
 */
import { homedir, hostname } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import type { RegistrationRequest } from '../../api/runtime/registration.js';

/** Log levels, lowest first (seed 000's names). */
export const LogLevel = { DEBUG: 'DEBUG', INFO: 'INFO', WARNING: 'WARNING', ERROR: 'ERROR' } as const;
export type LogLevel = (typeof LogLevel)[keyof typeof LogLevel];
const LEVELS = Object.values(LogLevel);

/** A leveled logger: lines below the configured level are dropped. */
export interface ServeLogger {
  level: LogLevel;
  debug(line: string): void;
  info(line: string): void;
  warning(line: string): void;
  error(line: string): void;
}

/** Everything `sidekick serve` runs with. */
export interface ServeOptions {
  /** The control plane (`--url`, SIDEKICK_URL; default http://localhost:8000). */
  url: string;
  /** The one-time registration token (`--token`, RUNNER_TOKEN); only needed until the node is registered. */
  token?: string;
  /** The node name (`--name`, RUNNER_NAME; default the host name, lower-cased). */
  name: string;
  /** Where runs' worktrees go (`--workspace`, RUNNER_WORKSPACE; default <home>/<name>/workspace). */
  workspace: string;
  logLevel: LogLevel;
  allowInsecure: boolean;
  allowEnvPassthrough: boolean;
  /** `--label k=v`, repeatable: scheduling labels. */
  labels: Record<string, string>;
  /** `--max-runs N` (default 5): runs executing at once. */
  maxRuns: number;
  /** `--repin`: trust the control plane's new identity. */
  repin: boolean;
  /** `--certificate-authority FILE`: PEM CA of a control plane with a private CA. */
  caFile?: string;
  /** `--nats URL`: overrides the NATS servers the control plane advertises. */
  nats?: string[];
  /** `~/.sidekick` (or $SIDEKICK_HOME). */
  home: string;
  /** `<home>/credentials.json`. */
  credentialsFile: string;
  /** The node's local state (store, journal): `<home>/<name>`. */
  stateDir: string;
  log: ServeLogger;
}

/** The flags as clipanion parsed them (undefined when not given). */
export interface ServeFlags {
  url?: string;
  token?: string;
  name?: string;
  workspace?: string;
  logLevel?: string;
  allowInsecure?: boolean;
  allowEnvPassthrough?: boolean;
  labels?: string[];
  maxRuns?: string;
  repin?: boolean;
  certificateAuthority?: string;
  nats?: string;
}

/** A bad flag or variable: the message names it; `sidekick serve` exits 2. */
export class ServeOptionsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ServeOptionsError';
  }
}

export const DEFAULT_SERVE_URL = 'http://localhost:8000';
export const DEFAULT_MAX_RUNS = 5;

const NODE_NAME = /^[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?$/;
const LABEL_KEY = /^(?:[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?\/)?[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(?:[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?)?$/;

function bool(flag: boolean | undefined, envName: string, env: NodeJS.ProcessEnv): boolean {
  if (flag) return true;
  const v = env[envName];
  if (v === undefined || v === '') return false;
  if (/^(1|true|yes|on)$/i.test(v)) return true;
  if (/^(0|false|no|off)$/i.test(v)) return false;
  throw new ServeOptionsError(`${envName}: expected true or false, got ${JSON.stringify(v)}`);
}

function parseLabels(values: string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const v of values) {
    const at = v.indexOf('=');
    const [key, value] = at < 0 ? [v, undefined] : [v.slice(0, at), v.slice(at + 1)];
    if (value === undefined || !LABEL_KEY.test(key) || !LABEL_VALUE.test(value)) throw new ServeOptionsError(`--label: expected key=value with a Kubernetes label key and value, got ${JSON.stringify(v)}`);
    labels[key] = value;
  }
  return labels;
}

/** A logger writing `<time> <LEVEL> <line>` to `write` for lines at `level` or above. */
export function serveLogger(level: LogLevel, write: (text: string) => void, now: () => Date = () => new Date()): ServeLogger {
  const at = (l: LogLevel) => (line: string): void => {
    if (LEVELS.indexOf(l) >= LEVELS.indexOf(level)) write(`${now().toISOString()} ${l} ${line}\n`);
  };
  return { level, debug: at(LogLevel.DEBUG), info: at(LogLevel.INFO), warning: at(LogLevel.WARNING), error: at(LogLevel.ERROR) };
}

/** Resolves every option; throws ServeOptionsError naming the flag (and variable) of a bad value. */
export function resolveServeOptions(
  flags: ServeFlags,
  env: NodeJS.ProcessEnv,
  ctx: { cwd: string; write: (text: string) => void; hostname?: () => string; homedir?: () => string },
): ServeOptions {
  const url = flags.url ?? env.SIDEKICK_URL ?? DEFAULT_SERVE_URL;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ServeOptionsError(`--url (SIDEKICK_URL): not a URL: ${JSON.stringify(url)} (expected https://HOST[:PORT])`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new ServeOptionsError(`--url (SIDEKICK_URL): expected http:// or https://, got ${JSON.stringify(url)}`);
  const name = flags.name ?? env.RUNNER_NAME ?? (ctx.hostname ?? hostname)().toLowerCase();
  if (!NODE_NAME.test(name)) throw new ServeOptionsError(`--name (RUNNER_NAME): ${JSON.stringify(name)} is not a node name (lower-case letters, digits, - and ., as a DNS name)`);
  const levelText = flags.logLevel ?? env.LOG_LEVEL ?? LogLevel.INFO;
  const logLevel = LEVELS.find((l) => l === levelText.toUpperCase());
  if (!logLevel) throw new ServeOptionsError(`--log-level (LOG_LEVEL): expected one of ${LEVELS.join(', ')}, got ${JSON.stringify(levelText)}`);
  const maxRunsText = flags.maxRuns ?? String(DEFAULT_MAX_RUNS);
  const maxRuns = /^\d+$/.test(maxRunsText) ? Number(maxRunsText) : NaN;
  if (!Number.isSafeInteger(maxRuns)) throw new ServeOptionsError(`--max-runs: expected a whole number ≥ 0, got ${JSON.stringify(maxRunsText)}`);
  let nats: string[] | undefined;
  if (flags.nats !== undefined) {
    nats = flags.nats.split(',').map((s) => s.trim()).filter(Boolean);
    for (const s of nats) if (!/^(nats|tls):\/\/[^/]+/.test(s)) throw new ServeOptionsError(`--nats: expected nats://HOST:PORT, got ${JSON.stringify(s)}`);
    if (!nats.length) throw new ServeOptionsError('--nats: expected nats://HOST:PORT');
  }
  const token = flags.token ?? env.RUNNER_TOKEN;
  const home = env.SIDEKICK_HOME ? resolve(ctx.cwd, env.SIDEKICK_HOME) : join((ctx.homedir ?? homedir)(), '.sidekick');
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(ctx.cwd, p));
  const workspaceText = flags.workspace ?? env.RUNNER_WORKSPACE;
  return {
    url,
    ...(token ? { token } : {}),
    name,
    workspace: workspaceText ? abs(workspaceText) : join(home, name, 'workspace'),
    logLevel,
    allowInsecure: bool(flags.allowInsecure, 'SIDEKICK_ALLOW_INSECURE', env),
    allowEnvPassthrough: bool(flags.allowEnvPassthrough, 'SIDEKICK_ALLOW_ENV_PASSTHROUGH', env),
    labels: parseLabels(flags.labels ?? []),
    maxRuns,
    repin: flags.repin ?? false,
    ...(flags.certificateAuthority ? { caFile: abs(flags.certificateAuthority) } : {}),
    ...(nats ? { nats } : {}),
    home,
    credentialsFile: join(home, 'credentials.json'),
    stateDir: join(home, name),
    log: serveLogger(logLevel, ctx.write),
  };
}

/** What the node tells the control plane about itself at registration, from its options. */
export function registrationOf(opts: ServeOptions, found: Pick<RegistrationRequest, 'capabilities' | 'nodeInfo'>): Pick<RegistrationRequest, 'labels' | 'maxRuns' | 'capabilities' | 'nodeInfo'> {
  return { labels: opts.labels, maxRuns: opts.maxRuns, ...found };
}
