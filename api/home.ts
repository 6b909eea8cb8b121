/**
 * Where the daemon keeps its state: `$SIDEKICK_HOME`, default `~/.sidekick/`. Every path is
 * derived here so the daemon, the CLI and tests agree on them.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface HomePaths {
  root: string;
  /** Embedded SQLite database (WAL). */
  database: string;
  /** Unix socket, mode 0600. */
  socket: string;
  /** The owner's bearer token for TCP listeners, mode 0600. */
  token: string;
  /** Identity tokens the owner issued (SHA-256 digests only), mode 0600. */
  tokens: string;
  /** The user's Cedar policies (`*.cedar`), loaded with the shipped ones at start. */
  policies: string;
  /** Written by the daemon at start: pid, listen addresses. */
  daemonInfo: string;
  pidFile: string;
  logFile: string;
  /** The CLI's kubeconfig: contexts written by `sidekick config set-context`, read to pick the server. */
  kubeconfig: string;
  artifacts: string;
  worktrees: string;
}

/** Resolves the home directory from an explicit path, `$SIDEKICK_HOME`, or `~/.sidekick`. */
export function sidekickHome(explicit?: string, env: NodeJS.ProcessEnv = process.env): HomePaths {
  const root = explicit ?? env.SIDEKICK_HOME ?? join(homedir(), '.sidekick');
  return {
    root,
    database: join(root, 'sidekick.db'),
    socket: join(root, 'sidekick.sock'),
    token: join(root, 'token'),
    tokens: join(root, 'tokens.json'),
    policies: join(root, 'policies'),
    daemonInfo: join(root, 'daemon.json'),
    pidFile: join(root, 'daemon.pid'),
    logFile: join(root, 'daemon.log'),
    kubeconfig: join(root, 'kubeconfig'),
    artifacts: join(root, 'artifacts'),
    worktrees: join(root, 'worktrees'),
  };
}
