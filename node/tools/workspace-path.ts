/**
 * Resolves the paths a model passes to tools against the workspace root. Lexical escapes (`..`,
 * absolute paths elsewhere) are refused first; then real paths are checked, so a symlink inside
 * the workspace cannot lead a read or write outside it.
 */
import { lstat, realpath } from 'node:fs/promises';
import path from 'node:path';

export type PathResolution =
  | { ok: true; /** Real absolute path to operate on. */ absolute: string; /** Path relative to the root, for messages. */ relative: string }
  | { ok: false; error: string };

/**
 * Joins `input` onto `root` without touching the disk and refuses a result outside the root.
 * `root` must be absolute and canonical.
 */
export function lexicalResolve(root: string, input: string): PathResolution {
  if (typeof input !== 'string' || input.includes('\0')) return { ok: false, error: 'path must be a string without NUL bytes' };
  const absolute = path.resolve(root, input === '' ? '.' : input);
  if (absolute !== root && !isInside(root, absolute)) return { ok: false, error: `path escapes the workspace: ${input}` };
  return { ok: true, absolute, relative: path.relative(root, absolute) || '.' };
}

/**
 * Resolves `input` inside the workspace `root` (absolute, canonical), following symlinks: the
 * real path of the target — or, for a file that does not exist yet, of its nearest existing
 * ancestor — must stay inside. With `write`, anything inside `.git` is refused too.
 *
 * WARNING: this is a check, not a sandbox: a process racing to swap a directory for a symlink
 * between the check and the use can still win, and RunCommand is not checked at all. What holds
 * either in is the run's bubblewrap sandbox (node/sandbox), where outside the workspace nothing is
 * writable and the daemon's home does not exist.
 */
export async function resolveInWorkspace(root: string, input: string, opts: { write: boolean }): Promise<PathResolution> {
  const lexical = lexicalResolve(root, input);
  if (!lexical.ok) return lexical;
  let probe = lexical.absolute;
  const missing: string[] = [];
  let real: string;
  for (;;) {
    try {
      real = await realpath(probe);
      break;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOTDIR') return { ok: false, error: `not a directory: ${path.relative(root, probe)}` };
      if (code !== 'ENOENT') throw err;
      // A link whose target is missing would be followed by a write: refuse rather than guess.
      if (await isSymlink(probe)) return { ok: false, error: `path is a symbolic link to a missing target: ${input}` };
      missing.unshift(path.basename(probe));
      probe = path.dirname(probe);
    }
  }
  const absolute = path.join(real, ...missing);
  if (absolute !== root && !isInside(root, absolute)) return { ok: false, error: `path escapes the workspace: ${input}` };
  if (opts.write && touchesGitDir(path.relative(root, absolute), lexical.relative)) {
    return { ok: false, error: `refusing to write inside .git: ${input}` };
  }
  return { ok: true, absolute, relative: lexical.relative };
}

function touchesGitDir(...relatives: string[]): boolean {
  return relatives.some((rel) => rel.split(path.sep).some((segment) => segment.toLowerCase() === '.git'));
}

function isInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}

async function isSymlink(p: string): Promise<boolean> {
  return lstat(p).then(
    (s) => s.isSymbolicLink(),
    () => false,
  );
}
