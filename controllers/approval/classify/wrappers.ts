/**
 * Commands that run other commands: wrappers (sudo, env, command, exec, time, nohup, nice,
 * timeout, xargs, …) whose operands are the command that really runs, and shells given a script
 * (`sh -c`/`bash -lc`, `eval`, `su -c`, `watch`, here-documents fed to a shell), whose script is
 * read in turn.
 */
import path from 'node:path';
import { afterOptions, hasFlag, operands, optionValues, set } from '../shell/argv.js';
import { MAX_DEPTH, parseShell, type Redirect } from '../shell/parse.js';

const SHELLS = new Set(['sh', 'bash', 'zsh', 'dash', 'ksh', 'ash', 'mksh', 'fish']);
const RESERVED = new Set(['!', '{', '}', 'if', 'then', 'else', 'elif', 'do', 'while', 'until']);
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?\+?=/;

/** The program a command word names: `/usr/bin/curl` → curl. */
export function commandName(word: string): string {
  return word.includes('/') ? path.posix.basename(word) : word;
}

/** The command that actually runs, past assignments, reserved words and wrappers (sudo, env, nohup, …). */
export function effectiveArgv(words: string[]): string[] {
  let argv = words;
  for (let guard = 0; guard < 32; guard++) {
    let i = 0;
    while (i < argv.length && (ASSIGNMENT.test(argv[i]!) || RESERVED.has(argv[i]!))) i++;
    argv = argv.slice(i);
    const unwrap = argv.length ? WRAPPERS[commandName(argv[0]!)] : undefined;
    if (!unwrap) return argv;
    const rest = unwrap(argv.slice(1));
    if (!rest) return [];
    argv = rest;
  }
  return argv;
}

/** Wrappers that run the rest of their arguments as a command; undefined when they run nothing. */
const WRAPPERS: Record<string, (args: string[]) => string[] | undefined> = {
  sudo: (a) => afterOptions(a, set('-u', '-g', '-h', '-p', '-C', '-D', '-r', '-t', '-T', '-U', '-R', '--user', '--group', '--host', '--prompt', '--chdir', '--role', '--type', '--other-user', '--chroot', '--close-from', '--command-timeout')),
  doas: (a) => afterOptions(a, set('-u', '-C')),
  env: envCommand,
  command: (a) => {
    const rest = afterOptions(a);
    // `command -v x` only looks x up.
    return a.slice(0, a.length - rest.length).some((o) => /^-[a-zA-Z]*[vV]/.test(o)) ? undefined : rest;
  },
  builtin: (a) => a,
  exec: (a) => afterOptions(a, set('-a')),
  nohup: (a) => a,
  time: (a) => afterOptions(a, set('-f', '--format', '-o', '--output')),
  nice: (a) => afterOptions(a, set('-n', '--adjustment')),
  ionice: (a) => afterOptions(a, set('-c', '-n', '-p', '-P', '-u', '--class', '--classdata')),
  timeout: (a) => afterOptions(a, set('-s', '--signal', '-k', '--kill-after')).slice(1),
  stdbuf: (a) => afterOptions(a, set('-i', '-o', '-e')),
  setsid: (a) => afterOptions(a),
  chronic: (a) => afterOptions(a),
  unbuffer: (a) => afterOptions(a),
  busybox: (a) => a,
  xargs: (a) => afterOptions(a, set('-I', '-n', '-P', '-L', '-s', '-d', '-E', '-a', '--arg-file', '--delimiter', '--max-args', '--max-procs', '--max-lines', '--max-chars', '--eof', '--replace')),
};

function envCommand(args: string[]): string[] {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') return args.slice(i + 1);
    // `env -S 'a b'` splits its string into words.
    if (a === '-S' || a === '--split-string') return [...(parseShell(args[i + 1] ?? '')[0]?.words ?? []), ...args.slice(i + 2)];
    if (a.startsWith('--split-string=')) return [...(parseShell(a.slice(15))[0]?.words ?? []), ...args.slice(i + 1)];
    if (['-u', '--unset', '-C', '--chdir'].includes(a)) i++;
    else if (!a.startsWith('-') || a === '-') return args.slice(i);
  }
  return [];
}

/** The script a command runs in a shell of ours: `sh -c s`, a here-document fed to a shell, `eval`, `su -c`, `watch`. */
export function nestedScript(name: string, args: string[], redirects: Redirect[]): string | undefined {
  if (SHELLS.has(name)) {
    const script = shellCommandString(args);
    if (script !== undefined) return script;
    if (operands(args, SHELL_VALUED).length > 0) return undefined; // runs a script file
    const fed = redirects.find((r) => r.body !== undefined || r.op === '<<<');
    return fed ? (fed.body ?? fed.target) : undefined;
  }
  if (name === 'eval') return args.join(' ');
  if (name === 'su') return optionValues(args, ['-c', '--command'])[0];
  if (name === 'watch' && !hasFlag(args, ['--exec'], 'x')) return operands(args, set('-n', '--interval', '-q', '--equexit')).join(' ') || undefined;
  return undefined;
}

const SHELL_VALUED = set('-o', '+o', '-O', '+O', '--rcfile', '--init-file');

/** The string a shell's `-c` runs: the first operand when an option cluster holds `c` (`-c`, `-lc`, `-euc`). */
function shellCommandString(args: string[]): string | undefined {
  let hasC = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (SHELL_VALUED.has(a)) i++;
    else if (a === '--') return hasC ? args[i + 1] : undefined;
    else if (a.startsWith('--')) continue;
    else if (/^[-+][a-zA-Z]+$/.test(a)) hasC ||= a.startsWith('-') && a.includes('c');
    else return hasC ? a : undefined;
  }
  return undefined;
}

/** The line without `sh -c '…'` layers, when the whole line is one such shell (for summaries and command globs). */
export function innermostScript(line: string): string {
  let text = line.trim();
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    const cmds = parseShell(text, depth);
    const words = cmds.length === 1 && cmds[0]!.redirects.length === 0 ? cmds[0]!.words : [];
    if (!words.length || !SHELLS.has(commandName(words[0]!))) return text;
    const script = shellCommandString(words.slice(1));
    if (script === undefined || !script.trim()) return text;
    text = script.trim();
  }
  return text;
}
