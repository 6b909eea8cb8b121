/**
 * Which session `sidekick submit` runs a workflow in, the way kubectl picks a namespace: what the
 * user said, else what can be known without guessing, else a one-line error listing the choices.
 * In order: `--session`; the namespace's only session; the session of the channels the template's
 * MultiAgent phases copy (a channel belongs to one session, so the template works in it); the
 * session of the namespace's only RepoMount.
 */
import type { ApiClient } from '../../api/client/client.js';
import type { ResourceRef } from '../../api/client/types.js';
import type { Channel } from '../../resources/kinds/channel.js';
import type { RepoMount } from '../../resources/kinds/repomount.js';
import type { Session } from '../../resources/kinds/session.js';
import type { WorkflowTemplate } from '../../resources/kinds/workflowtemplate.js';
import { PrintedError } from '../errors.js';
import { CHANNELS } from '../journal/channel.js';
import { SESSIONS } from '../journal/read.js';

const REPO_MOUNTS: ResourceRef = { group: 'sidekicks.dev', version: 'v1alpha1', plural: 'repomounts', kind: 'RepoMount', namespaced: true };

/** The session to submit `template` in; throws a one-line PrintedError when it cannot tell. */
export async function submitSession(client: ApiClient, namespace: string, template: WorkflowTemplate, flag: string | undefined): Promise<Session> {
  if (flag) return client.get<Session>(SESSIONS, namespace, flag);
  const sessions = (await client.list<Session>(SESSIONS, { namespace })).items;
  if (sessions.length === 0) throw new PrintedError(`error: no session in namespace ${namespace}; create one first`);
  if (sessions.length === 1) return sessions[0]!;
  const byName = new Map(sessions.map((s) => [s.metadata.name!, s]));
  const inferred = (await channelSession(client, namespace, template)) ?? (await onlyMountSession(client, namespace));
  const session = inferred && byName.get(inferred);
  if (session) return session;
  const names = [...byName.keys()].sort().join(', ');
  throw new PrintedError(`error: namespace ${namespace} has ${sessions.length} sessions (${names}) and workflowtemplate/${template.metadata.name} names none; choose one with --session`);
}

/** The one session the channels of the template's MultiAgent phases belong to, if they agree. */
async function channelSession(client: ApiClient, namespace: string, template: WorkflowTemplate): Promise<string | undefined> {
  const channels = new Set(template.spec.phases.flatMap((p) => (p.type === 'MultiAgent' && p.channel ? [p.channel] : [])));
  if (channels.size === 0) return undefined;
  const all = (await client.list<Channel>(CHANNELS, { namespace })).items;
  const sessions = new Set(all.filter((c) => channels.has(c.metadata.name!)).map((c) => c.spec.session));
  return sessions.size === 1 ? [...sessions][0] : undefined;
}

/** The session of the namespace's only RepoMount. */
async function onlyMountSession(client: ApiClient, namespace: string): Promise<string | undefined> {
  const mounts = (await client.list<RepoMount>(REPO_MOUNTS, { namespace })).items;
  return mounts.length === 1 ? mounts[0]!.spec.session : undefined;
}
