/**
 * Test support for the local tools' tests (not used by production code): a workspace with a
 * directory beside it, so tests can check that paths and symlinks never lead out of the workspace.
 */
import { mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A workspace `root` (with `src/` and `.git/`) and a directory `outside` it, both in one fresh temp dir. */
export interface WorkspaceBesideOutside {
  root: string;
  outside: string;
  /** Removes both. */
  cleanup(): void;
}

/** Makes a WorkspaceBesideOutside in a temp dir named with `prefix` (real path: no symlinked /tmp). */
export function workspaceBesideOutside(prefix: string): WorkspaceBesideOutside {
  const base = realpathSync(mkdtempSync(path.join(tmpdir(), prefix)));
  const root = path.join(base, 'ws');
  const outside = path.join(base, 'outside');
  mkdirSync(path.join(root, 'src'), { recursive: true });
  mkdirSync(path.join(root, '.git'));
  mkdirSync(outside);
  return { root, outside, cleanup: () => rmSync(base, { recursive: true, force: true }) };
}
