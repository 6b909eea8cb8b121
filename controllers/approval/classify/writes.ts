/**
 * Approval rule FileWrite: where a write lands, and what a command writes. WriteFile/EditFile need
 * nothing inside the workspace (its files are the run's own) and FileWrite outside it. For
 * commands: redirections (`>`, `>>`, `&>`, `>&file`), tee, cp/mv/install/ln targets (mv's sources
 * too), rm, rmdir, touch, mkdir, truncate, chmod/chown, `sed -i`/`perl -i`, dd `of=`,
 * curl/wget/tar/unzip/`git clone` outputs, `find -delete` (commands.ts), and global or system
 * installs — when the path, resolved against the cwd (`cd` is followed), lies outside the
 * workspace. `~` and `$HOME` are outside; /dev/null and friends are not. Paths are judged
 * lexically: no I/O.
 */
import path from 'node:path';
import { ApprovalCategory } from '../../../resources/kinds/common.js';
import { lexicalResolve } from '../../../node/tools/workspace-path.js';
import { hasFlag, NONE, operands, optionValues, set, subcommand } from '../shell/argv.js';
import type { ApprovalRequest, Classification } from './types.js';
import { GIT_SUB_VALUED, gitParts } from './git.js';
import { NODE_VALUED, PACKAGE_MANAGERS } from './network.js';
import { oneLine } from './summary.js';

/** A write outside the workspace that a command makes. */
export interface OutsideWrite {
  /** The path written, absolute (or as written for `~`/`$HOME`), when there is one. */
  path?: string;
  what: string;
}

/** WriteFile/EditFile: nothing inside the workspace, FileWrite outside it; no readable path asks FileWrite. */
export function classifyFileChange(tool: string, input: Record<string, unknown>, root: string | undefined): Classification {
  const given = Array.isArray(input.paths) ? input.paths : [input.path];
  const paths = given.filter((p): p is string => typeof p === 'string' && p !== '');
  const verb = tool === 'WriteFile' ? 'write' : 'edit';
  // No path we can read: the tool may still write somewhere, so ask (fail closed).
  if (paths.length === 0) return { tool, categories: [ApprovalCategory.FileWrite], request: { tool, summary: `${verb} (no path given)` } };
  const outside = paths.map((p) => outsidePath(p, root, root)).filter((p): p is string => p !== undefined);
  const shown = outside[0] ?? paths[0]!;
  const request: ApprovalRequest = { tool, path: shown, summary: oneLine(`${verb} ${shown}${paths.length > 1 ? ` (+${paths.length - 1} more)` : ''}`) };
  if (paths.length > 1) request.details = `files: ${paths.join(', ')}`;
  if (outside.length > 1) delete request.path;
  return { tool, categories: outside.length ? [ApprovalCategory.FileWrite] : [], request };
}

/** Redirections that write their target (`>&` does too, unless its target is an fd). */
export const WRITE_REDIRECTS = new Set(['>', '>>', '>|', '&>', '&>>', '<>']);
const DEVICE_PATHS = /^\/dev\/(null|zero|stdout|stderr|tty|fd\/\d+)$|^\/proc\/self\/fd\/\d+$/;

function isHomePath(p: string): boolean {
  return /^~([\w.-]*)(\/|$)/.test(p) || /^\$(HOME|\{HOME\})(\/|$)/.test(p);
}

/** Where `cd dir` leads from `cwd`. A directory through another variable, or `cd -`, is assumed not to move. */
export function changeDir(cwd: string | undefined, dir: string | undefined): string | undefined {
  if (dir === undefined) return '~';
  if (isHomePath(dir)) return dir;
  if (dir === '-' || dir.includes('$') || dir.includes('`')) return cwd;
  if (path.isAbsolute(dir)) return path.normalize(dir);
  if (cwd === undefined) return undefined;
  return isHomePath(cwd) ? path.posix.join(cwd, dir) : path.resolve(cwd, dir);
}

/**
 * The path a write reaches when that is outside the workspace (absolute, or as written for home
 * paths); undefined when it stays inside or cannot be told (other variables).
 */
export function outsidePath(target: string, cwd: string | undefined, root: string | undefined): string | undefined {
  let p = target;
  if (p === '' || DEVICE_PATHS.test(p)) return undefined;
  const pwd = /^\$(PWD|\{PWD\})(?=\/|$)/.exec(p);
  if (pwd) {
    if (cwd === undefined) return p;
    p = cwd + p.slice(pwd[0].length);
  }
  if (isHomePath(p)) return p;
  if (p.includes('$') || p.includes('`')) return undefined;
  if (!path.isAbsolute(p)) {
    if (cwd === undefined) return p;
    if (isHomePath(cwd)) return path.posix.join(cwd, p);
  }
  const abs = path.resolve(cwd ?? '/', p);
  if (root === undefined) return abs;
  return lexicalResolve(root, abs).ok ? undefined : abs;
}

/** Paths a command writes, as written: redirections aside, by what the program is known to do. */
export function writeTargets(name: string, args: string[]): string[] {
  switch (name) {
    case 'tee':
      return operands(args);
    case 'cp':
    case 'install':
    case 'ln': {
      const target = optionValues(args, ['-t', '--target-directory']);
      if (target.length) return target;
      const ops = operands(args, set('-S', '--suffix', '-m', '--mode', '-o', '--owner', '-g', '--group'));
      if (name === 'install' && hasFlag(args, ['--directory'], 'd')) return ops;
      return ops.length >= 2 ? [ops.at(-1)!] : name === 'ln' && ops.length === 1 ? ['.'] : [];
    }
    case 'mv': // the sources go too
      return [...optionValues(args, ['-t', '--target-directory']), ...operands(args, set('-t', '--target-directory', '-S', '--suffix'))];
    case 'rm':
    case 'rmdir':
    case 'unlink':
    case 'shred':
    case 'touch':
    case 'mkdir':
    case 'mkfifo':
    case 'truncate':
      return operands(args, set('-d', '-t', '-r', '--date', '--reference', '-m', '--mode', '-s', '--size', '-n', '--iterations', '--random-source'));
    case 'chmod':
    case 'chown':
    case 'chgrp': {
      const ops = operands(args);
      return args.some((a) => a.startsWith('--reference')) ? ops : ops.slice(1);
    }
    case 'sed':
    case 'perl': {
      const inPlace = args.some((a) => a === '--in-place' || a.startsWith('--in-place=') || /^-[a-zA-Z]*i/.test(a));
      if (!inPlace) return [];
      const scriptOpts = name === 'sed' ? ['-e', '--expression', '-f', '--file'] : ['-e', '-E'];
      const ops = operands(args, set(...scriptOpts, '-l', '--line-length'));
      return hasFlag(args, scriptOpts.filter((o) => o.startsWith('--'))) || args.some((a) => scriptOpts.includes(a) || /^-[a-zA-Z]*[eEf]$/.test(a)) ? ops : ops.slice(1);
    }
    case 'dd':
      return args.filter((a) => a.startsWith('of=')).map((a) => a.slice(3));
    case 'curl': {
      const out = optionValues(args, ['-o', '--output']).filter((o) => o !== '-');
      return [...out, ...optionValues(args, ['--output-dir']), ...(hasFlag(args, ['--remote-name', '--remote-name-all'], 'O') ? ['.'] : [])];
    }
    case 'wget': {
      const out = optionValues(args, ['-O', '--output-document']);
      if (out.length) return out.filter((o) => o !== '-');
      const dirs = optionValues(args, ['-P', '--directory-prefix']);
      return dirs.length ? dirs : ['.'];
    }
    case 'tar':
      return tarTargets(args);
    case 'unzip': {
      if (hasFlag(args, [], 'lpt')) return []; // list, pipe, test: nothing written
      const dirs = optionValues(args, ['-d']);
      return dirs.length ? dirs : ['.'];
    }
    case 'git': {
      const { sub, rest } = gitParts(args);
      if (sub !== 'clone') return [];
      const ops = operands(rest, GIT_SUB_VALUED);
      return [ops[1] ?? '.'];
    }
    default:
      return [];
  }
}

/** `tar x` writes into `-C DIR` (or here); `tar c`/`r`/`u` writes the archive `-f FILE`. */
function tarTargets(args: string[]): string[] {
  const a = args.slice();
  if (a[0] && /^[A-Za-z]+$/.test(a[0])) a[0] = `-${a[0]}`; // old style: `tar xzf x.tgz`
  let mode = '';
  const files: string[] = [];
  const dirs: string[] = [];
  for (let i = 0; i < a.length; i++) {
    const arg = a[i]!;
    if (arg.startsWith('--')) {
      const [key, value] = arg.split(/=(.*)/s) as [string, string | undefined];
      if (key === '--extract' || key === '--get') mode ||= 'x';
      else if (key === '--create' || key === '--append' || key === '--update') mode ||= 'c';
      else if (key === '--file') files.push(value ?? a[++i] ?? '');
      else if (key === '--directory') dirs.push(value ?? a[++i] ?? '');
    } else if (arg.startsWith('-')) {
      for (let j = 1; j < arg.length; j++) {
        const ch = arg[j]!;
        if (ch === 'x') mode ||= 'x';
        else if ('cru'.includes(ch)) mode ||= 'c';
        else if (ch === 'f' || ch === 'C') {
          const value = j + 1 < arg.length ? arg.slice(j + 1) : (a[++i] ?? '');
          (ch === 'f' ? files : dirs).push(value);
          break;
        }
      }
    }
  }
  if (mode === 'x') return dirs.length ? dirs : ['.'];
  return mode === 'c' ? files.filter((f) => f !== '-' && f !== '') : [];
}

/** Installs that write outside the workspace without naming a path (global packages, system packages). */
export function globalInstall(name: string, args: string[]): string | undefined {
  const { sub, rest } = subcommand(args, NODE_VALUED[name] ?? NONE);
  if (['npm', 'pnpm', 'bun'].includes(name) && hasFlag(args, ['--global', '--location=global'], 'g') && sub && ['install', 'i', 'add', 'update', 'up', 'remove', 'rm', 'uninstall', 'link'].includes(sub)) return `global packages (${name} ${sub} -g)`;
  if (name === 'yarn' && sub === 'global' && ['add', 'remove', 'upgrade'].includes(rest[0] ?? '')) return 'global packages (yarn global)';
  if ((name === 'cargo' || name === 'go') && sub === 'install') return `${name === 'cargo' ? 'cargo' : 'go'} bin directory (${name} install)`;
  const system = PACKAGE_MANAGERS[name];
  if (system && system[1] === undefined && ['install', 'add', 'reinstall', 'upgrade', 'dist-upgrade', 'full-upgrade', 'in'].includes(sub ?? '')) return `system packages (${name} ${sub})`;
  return undefined;
}
