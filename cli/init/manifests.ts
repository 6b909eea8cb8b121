/**
 * The manifests `sidekick init` writes into the repository (`.sidekick/` by default), as YAML to
 * commit: a Session whose defaults name the agent and the mount, a RepoMount whose path is
 * relative to the folder (portable across clones), and the Agent. A file already in the folder is
 * kept as it is — it may have been edited by hand — and the names in it are used.
 */
import { readFile, rename, writeFile, mkdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { API_VERSION, type KubeObject } from '../../resources/meta.js';
import type { AgentChoice } from './detect-agent.js';
import type { InitRepository } from './repository.js';

/** One manifest file init manages. */
export interface InitFile {
  /** `session`, `repomount`, `agent`. */
  role: 'session' | 'repomount' | 'agent';
  path: string;
  /** The text init would write. */
  text: string;
  /** True when the file exists already: it is kept, and applied as it is. */
  kept: boolean;
}

/** The files of the folder, with the names they settle on. */
export interface InitPlan {
  files: InitFile[];
  session: string;
  repoMount: string;
  agent: string;
  /** True when the agent file is the one init chose now (so the choice's reason applies). */
  agentChosen: boolean;
}

/**
 * Plans the files in `dir` for the repository and the chosen agent, reading the ones that exist.
 * `names` are the server's answer (an existing mount of this checkout, a name taken by another);
 * without them, the names come from the repository's directory name.
 */
export async function planInit(repo: InitRepository, dir: string, choice: AgentChoice, names?: { repoMount: string; session: string }): Promise<InitPlan> {
  const existing = {
    session: await readExisting(join(dir, 'session.yaml')),
    repomount: await readExisting(join(dir, 'repomount.yaml')),
    agent: await readExisting(join(dir, 'agent.yaml')),
  };
  const base = initBaseName(repo);
  const nameIn = (text: string | undefined, kind: string, fallback: string): string => (text !== undefined ? (firstNameOf(text, kind) ?? fallback) : fallback);
  const session = nameIn(existing.session, 'Session', names?.session ?? base);
  const repoMount = nameIn(existing.repomount, 'RepoMount', names?.repoMount ?? base);
  const agent = nameIn(existing.agent, 'Agent', `${(names?.session ?? base).slice(0, 40).replace(/-+$/, '')}-${choice.suffix}`);
  const mountPath = relative(dir, repo.root) || '.';

  const texts = {
    session: document(
      ['The session runs of this repository belong to. `sidekick run "..."` in this checkout uses its', 'defaults: the agent and the repository mount below.'],
      { apiVersion: API_VERSION, kind: 'Session', metadata: { name: session }, spec: { title: repo.name, defaults: { agent, repoMount } } },
    ),
    repomount: document(
      [
        'This repository, mounted for the session. spec.path is relative to this file: the CLI resolves it',
        'when it applies the folder, so the file is right in every clone. Each run works in its own git',
        'worktree on branch sidekicks/<session>/<run>; `sidekick merge run/NAME` brings one back.',
      ],
      { apiVersion: API_VERSION, kind: 'RepoMount', metadata: { name: repoMount }, spec: { session, path: mountPath, mode: 'Worktree' } },
    ),
    agent: document(choice.comment, { apiVersion: API_VERSION, kind: 'Agent', metadata: { name: agent }, spec: choice.spec as unknown as Record<string, unknown> }),
  };
  const files: InitFile[] = (['session', 'repomount', 'agent'] as const).map((role) => ({
    role,
    path: join(dir, `${role}.yaml`),
    text: existing[role] ?? texts[role],
    kept: existing[role] !== undefined,
  }));
  return { files, session, repoMount, agent, agentChosen: existing.agent === undefined };
}

/** Writes the files that are not kept; each through a temporary file, so none is left half-written. */
export async function writeInitFiles(dir: string, files: InitFile[]): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const f of files.filter((file) => !file.kept)) {
    const tmp = `${f.path}.tmp-${process.pid}`;
    await writeFile(tmp, f.text, { mode: 0o644 });
    await rename(tmp, f.path);
  }
}

/** The name init starts from: the repository's directory name, short enough for derived names. */
export function initBaseName(repo: InitRepository): string {
  return repo.name.slice(0, 40).replace(/-+$/, '');
}

function document(comment: string[], obj: KubeObject | Record<string, unknown>): string {
  return `${comment.map((l) => `# ${l}`.trimEnd()).join('\n')}\n${stringify(obj, { lineWidth: 0 })}`;
}

async function readExisting(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** The name of the first object of `kind` in a YAML text, if it has one. */
function firstNameOf(text: string, kind: string): string | undefined {
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) continue;
    const obj = doc.toJS() as { kind?: unknown; metadata?: { name?: unknown } } | null;
    if (obj?.kind === kind && typeof obj.metadata?.name === 'string') return obj.metadata.name;
  }
  return undefined;
}
