/**
 * What `sidekick run` works out from where it is typed: the repository (the git toplevel of the
 * working directory), the RepoMount and Session bound to it, and the Agent to use.
 */
import { execFile } from 'node:child_process';
import { realpath } from 'node:fs/promises';
import { promisify } from 'node:util';
import { UsageError } from 'clipanion';
import type { ApiClient } from '../../api/client/client.js';
import type { ResourceRef } from '../../api/client/types.js';
import type { RepoMount } from '../../resources/kinds/repomount.js';
import type { Session } from '../../resources/kinds/session.js';
import type { KubeObject } from '../../resources/meta.js';
import { isStatusError } from '../errors.js';

const GROUP = { group: 'sidekicks.dev', version: 'v1alpha1', namespaced: true } as const;
export const REPO_MOUNTS: ResourceRef = { ...GROUP, plural: 'repomounts', kind: 'RepoMount' };
export const AGENTS: ResourceRef = { ...GROUP, plural: 'agents', kind: 'Agent' };
export const SESSIONS: ResourceRef = { ...GROUP, plural: 'sessions', kind: 'Session' };

/** The canonical path of the git repository `cwd` is in. */
export async function gitToplevel(cwd: string): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)('git', ['rev-parse', '--show-toplevel'], { cwd });
    return await realpath(stdout.trim());
  } catch {
    throw new UsageError(`${cwd} is not in a git repository; run "sidekick run" inside the repository a RepoMount points at`);
  }
}

async function canonical(path: string): Promise<string | undefined> {
  return realpath(path).catch(() => undefined);
}

/**
 * The RepoMounts of `root`: in every namespace the caller may list, or only in `namespace` when
 * it was asked for (or listing all is forbidden). A mount matches by the root its controller
 * observed, or — not observed yet — by its path.
 */
export async function mountsOf(client: ApiClient, root: string, namespace: string, onlyNamespace: boolean): Promise<RepoMount[]> {
  let items: RepoMount[];
  try {
    items = (await client.list<RepoMount>(REPO_MOUNTS, onlyNamespace ? { namespace } : {})).items;
  } catch (err) {
    if (onlyNamespace || !isStatusError(err) || err.reason !== 'Forbidden') throw err;
    items = (await client.list<RepoMount>(REPO_MOUNTS, { namespace })).items;
  }
  const found: RepoMount[] = [];
  for (const m of items) {
    const where = m.status?.root ?? m.spec.path;
    if ((await canonical(where)) === root) found.push(m);
  }
  return found;
}

/** `namespace/session` of a mount, as listed when the choice is ambiguous. */
function sessionOf(m: RepoMount): string {
  return `${m.metadata.namespace}/${m.spec.session}`;
}

/** Picks the one mount (and so the session) the run goes to; `--session` decides between several sessions. */
export async function pickMount(client: ApiClient, mounts: RepoMount[], root: string, session: string | undefined): Promise<RepoMount> {
  if (mounts.length === 0) throw new UsageError(`no RepoMount for ${root}; run "sidekick init" first`);
  const inSession = session === undefined ? mounts : mounts.filter((m) => m.spec.session === session || sessionOf(m) === session);
  if (inSession.length === 0) throw new UsageError(`no RepoMount for ${root} in session "${session}"; sessions with one: ${[...new Set(mounts.map(sessionOf))].join(', ')}`);
  const sessions = [...new Set(inSession.map(sessionOf))].sort();
  if (sessions.length > 1) throw new UsageError(`${root} is mounted in several sessions (${sessions.join(', ')}); choose one with --session`);
  if (inSession.length === 1) return inSession[0]!;
  // Several mounts of one repository in one session: the session's default mount, if it is one of them.
  const m = inSession[0]!;
  const defaults = await sessionDefaults(client, m.metadata.namespace!, m.spec.session);
  const preferred = inSession.find((x) => x.metadata.name === defaults?.repoMount);
  if (preferred) return preferred;
  throw new UsageError(`${root} has several RepoMounts in session ${m.spec.session} (${inSession.map((x) => x.metadata.name).join(', ')}) and none is its spec.defaults.repoMount`);
}

async function sessionDefaults(client: ApiClient, namespace: string, name: string): Promise<NonNullable<Session['spec']>['defaults']> {
  try {
    return (await client.get<Session>(SESSIONS, namespace, name)).spec?.defaults;
  } catch (err) {
    if (isStatusError(err) && err.reason === 'NotFound') return undefined;
    throw err;
  }
}

/** The agent: the flag, else the session's spec.defaults.agent, else the only Agent of the namespace. */
export async function pickAgent(client: ApiClient, mount: RepoMount, flag: string | undefined): Promise<string> {
  if (flag) return flag;
  const namespace = mount.metadata.namespace!;
  const fromSession = (await sessionDefaults(client, namespace, mount.spec.session))?.agent;
  if (fromSession) return fromSession;
  const agents = (await client.list<KubeObject>(AGENTS, { namespace })).items.map((a) => a.metadata.name!);
  if (agents.length === 1) return agents[0]!;
  if (agents.length === 0) throw new UsageError(`no Agent in namespace ${namespace}; create one, or set spec.defaults.agent of session ${mount.spec.session}`);
  throw new UsageError(`session ${mount.spec.session} has no spec.defaults.agent and namespace ${namespace} has several Agents (${agents.join(', ')}); choose one with --agent`);
}

/** A name prefix from the prompt, for metadata.generateName: `fix the failing test` → `fix-the-failing-test-`. */
export function namePrefix(prompt: string): string {
  const words = prompt.toLowerCase().replace(/[^a-z0-9]+/g, ' ').trim().split(' ').filter(Boolean);
  let slug = '';
  for (const w of words) {
    const next = slug ? `${slug}-${w}` : w;
    if (next.length > 40) break;
    slug = next;
  }
  return `${slug || words[0]?.slice(0, 40) || 'run'}-`;
}
