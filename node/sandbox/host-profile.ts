/**
 * The sandbox profile of a run's driver host: what the agent (its CLI, its tools and every command
 * it runs) may see. Built on the daemon's side, where the real paths are known.
 */
import { lstat, readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import type { SandboxProfile } from './bubblewrap.js';
import { credentialDirs, credentialFiles } from './credential-stores.js';

export interface HostProfileRequest {
  bwrap: string;
  /** The run's workspace (worktree, clone, checkout or scratch directory). */
  workspace: string;
  readOnly: boolean;
  /** The agent's own HOME (persists across pause and resume: CLIs keep their sessions there). */
  agentHome: string;
  /** SIDEKICK_HOME: database, socket, tokens, other runs' worktrees. */
  sidekickHome: string;
  /** The daemon user's home, whose credential stores are hidden. */
  userHome: string;
  /** Whether the host keeps the network (a provider CLI or endpoint must be reached). */
  network: boolean;
  /** Paths (existing) the agent may read but not change, inside otherwise writable places. */
  frozen?: string[];
  /**
   * Directories the host needs to run (the Sidekicks installation, Node): shown read-only even
   * where the profile hides their parent — a checkout under /tmp is under the private /tmp.
   */
  programs?: string[];
}

/** Builds the host's profile; only paths that exist are hidden (bwrap cannot mount onto nothing). */
export async function hostProfile(req: HostProfileRequest): Promise<SandboxProfile> {
  const workspace = await realpath(req.workspace);
  const agentHome = await realpath(req.agentHome);
  const git = await gitLayout(workspace);
  const gitDir = git?.common;
  const hiddenDirs = [await canonical(req.sidekickHome), '/run'];
  const hiddenFiles: string[] = [];
  for (const rel of credentialDirs) {
    const p = path.join(req.userHome, rel);
    if ((await kindOf(p)) === 'dir') hiddenDirs.push(await canonical(p));
  }
  for (const rel of credentialFiles) {
    const p = path.join(req.userHome, rel);
    if ((await kindOf(p)) === 'file') hiddenFiles.push(await canonical(p));
  }
  const writable = [agentHome];
  const readOnly: string[] = await Promise.all((req.frozen ?? []).map(canonical));
  if (req.readOnly) readOnly.push(workspace);
  else writable.push(workspace);
  // A worktree's git directory lives in the main repository: git add/status need it writable, but
  // its hooks and config run later outside the sandbox (the daemon's commit), so they stay read-only.
  if (gitDir && !gitDir.startsWith(`${workspace}/`) && !req.readOnly) writable.push(gitDir);
  // So are the pointers of every worktree of the repository (other runs' included): rewritten, they
  // would lead a later commit to a git directory (and hooks) of the agent's making.
  if (gitDir && !req.readOnly) readOnly.push(path.join(gitDir, 'hooks'), path.join(gitDir, 'config'), path.join(gitDir, 'worktrees'));
  // This run's own worktree admin directory stays writable (index, HEAD), its pointer files not.
  if (git?.admin && !req.readOnly) {
    readOnly.push(path.join(workspace, '.git'), ...['commondir', 'gitdir', 'config.worktree'].map((f) => path.join(git.admin!, f)));
    writable.push(git.admin);
  }
  return {
    bwrap: req.bwrap,
    writable,
    readOnly,
    hiddenDirs,
    hiddenFiles,
    reexposed: ['/run/systemd/resolve', ...(await Promise.all((req.programs ?? []).map(canonical)))],
    network: req.network,
    cwd: workspace,
  };
}

/**
 * Where a workspace's git data lives: the common git directory (`.git`, or the main repository's
 * for a worktree) and, for a worktree, its admin directory (`<common>/worktrees/<name>`).
 */
export async function gitLayout(workspace: string): Promise<{ common: string; admin?: string } | undefined> {
  const dotGit = path.join(workspace, '.git');
  const kind = await kindOf(dotGit);
  if (kind === 'dir') return { common: dotGit };
  if (kind !== 'file') return undefined;
  const match = /^gitdir:\s*(.+)$/m.exec(await readFile(dotGit, 'utf8'));
  if (!match) return undefined;
  const admin = await canonical(path.resolve(workspace, match[1]!.trim()));
  try {
    const common = (await readFile(path.join(admin, 'commondir'), 'utf8')).trim();
    return { common: await canonical(path.resolve(admin, common)), admin };
  } catch {
    return { common: admin };
  }
}

async function kindOf(p: string): Promise<'dir' | 'file' | 'other' | undefined> {
  try {
    const st = await lstat(p);
    if (st.isSymbolicLink()) {
      const target = await realpath(p);
      return kindOf(target);
    }
    return st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other';
  } catch {
    return undefined;
  }
}

async function canonical(p: string): Promise<string> {
  try {
    return await realpath(p);
  } catch {
    return path.resolve(p);
  }
}
