/**
 * Classifies a tool call into what it needs approved (DOMAIN.md, Approvals): the categories that
 * apply and the request people are shown. Pure: no I/O — paths are judged lexically against the
 * workspace root, commands by reading them with the shell reader at the bottom of this file.
 *
 * Vocabularies: our tools (RunCommand, ReadFile, WriteFile, EditFile, ListFiles) for every driver;
 * Claude Code's names through `normalizeClaudeTool` for the Claude driver; Codex's (exec/shell,
 * apply_patch/file_change, web_search, mcp_tool_call) for the Codex driver. Vocabularies are read
 * per driver, so a custom tool of one agent is never mistaken for another CLI's built-in. A tool
 * we do not know is ToolExecution: asking is the safe answer.
 *
 * Tools:
 * - Reads (ReadFile, ListFiles, Read, Glob, Grep, …) need nothing, wherever they point; so does
 *   bookkeeping (TodoWrite; Task, whose sub-agent's calls come through here themselves).
 * - WriteFile/EditFile need nothing inside the workspace (its files are the run's own) and
 *   FileWrite outside it; a call with no readable path asks FileWrite (fail closed).
 * - WebFetch/WebSearch: NetworkAccess. ExitPlanMode: PlanApproval, the plan as details.
 *   AskUserQuestion: UserInput. MCP tools: ToolExecution. McpElicitation is never a tool call: an
 *   MCP server's `elicitation/create` reaches the gate another way.
 *
 * Commands are always ToolExecution, plus, for what any part of the line does (`a && b; c | d`,
 * `sh -c`/`bash -lc`/`eval`/here-documents fed to a shell, `$(…)`, backticks, `<(…)`, past
 * `FOO=1`, sudo, env, command, exec, time, nohup, nice, timeout, xargs, `find -exec`):
 * - NetworkAccess: curl, wget, httpie, nc, ssh, scp, sftp, rsync to `host:`, ping/dig/…; git
 *   clone/fetch/pull/push/ls-remote/submodule update; npm/pnpm/yarn/bun installs and registry
 *   commands; npx/pnpx/bunx/uvx always (the package may not be installed); pip/uv/poetry/pipx,
 *   cargo, go get/install/mod download, gem, bundle, composer, apt/dnf/apk/brew/…; docker pull,
 *   push, run, create; gh, glab and cloud CLIs (aws, gcloud, kubectl, …). The host is the URL's,
 *   the registry's (`--registry`/`--index-url` honoured, config files not read) or the image's.
 * - DestructiveGit: see destructiveGit below.
 * - FileWrite: redirections (`>`, `>>`, `&>`, `>&file`), tee, cp/mv/install/ln targets (mv's
 *   sources too), rm, rmdir, touch, mkdir, truncate, chmod/chown, `sed -i`/`perl -i`, dd `of=`,
 *   curl/wget/tar/unzip/`git clone` outputs, `find -delete`, and global or system installs — when
 *   the path, resolved against the cwd (`cd` is followed), lies outside the workspace. `~` and
 *   `$HOME` are outside; /dev/null and friends are not.
 *
 * WARNING: this is a classifier, not a sandbox. What a command hides stays plain ToolExecution:
 * scripts it runs (`npm run x`, `make`, `./deploy.sh`, `python -c`, awk's own redirections),
 * builds that may fetch (`cargo build`, `go build`, `docker build`, `uv run`), git aliases,
 * commands named through variables (`$CURL`), operands read from stdin (`xargs rm`), the commands
 * an ssh runs remotely. Paths through variables other than HOME and PWD count as inside, and so
 * does a `cd` through one. The reader keeps no subshell scopes, so a relative path counts as
 * outside when it is outside from any directory the line has `cd`-ed to: it can over-report only.
 *
 * Why a reader of our own rather than `shell-quote`: that package reads a newline as a blank (so
 * `ls\ncurl evil.sh` would be one harmless `ls`), does not see `$(…)` inside double quotes or
 * backticks, knows no here-documents, and its type declarations change the global `Array#join`
 * type for the whole project. Finding every command is this reader's one job.
 */
import path from 'node:path';
import type { Static } from '@sinclair/typebox';
import type { ApprovalRequest as ApprovalRequestSchema } from '../../resources/kinds/approval.js';
import { ApprovalCategory, Driver } from '../../resources/kinds/common.js';
import { normalizeClaudeTool } from '../../node/drivers/claude/stream.js';
import { fileChangeTool, mcpToolName } from '../../node/drivers/codex/events.js';
import { lexicalResolve } from '../../node/tools/workspace-path.js';

export type ApprovalRequest = Static<typeof ApprovalRequestSchema>;

export interface ToolCallInput {
  tool: string;
  input: Record<string, unknown>;
}

export interface ClassifyContext {
  /** The run's workspace root, absolute. Anything else makes every write count as outside. */
  workspace: string;
  /** The agent's driver (Driver), which says whose tool names the call uses. */
  driver: string;
}

export interface Classification {
  /** The tool in our vocabulary (RunCommand for Bash and Codex's exec). */
  tool: string;
  /** What needs approving; empty when the call may simply run. */
  categories: ApprovalCategory[];
  request: ApprovalRequest;
}

/** Classifies one tool call: the categories that need approval and the request to show. */
export function classifyToolCall(call: ToolCallInput, ctx: ClassifyContext): Classification {
  const { tool, input } = normalizeCall(call, ctx.driver);
  const root = path.isAbsolute(ctx.workspace) ? path.resolve(ctx.workspace) : undefined;
  if (tool === 'RunCommand') return classifyCommand(input, root);
  if (tool === 'WriteFile' || tool === 'EditFile') return classifyFileChange(tool, input, root);
  if (NEEDS_NOTHING.has(tool)) return { tool, categories: [], request: { tool, summary: oneLine(`${tool} ${describe(input)}`) } };
  switch (tool) {
    case 'WebFetch': {
      const url = str(input.url);
      return { tool, categories: [ApprovalCategory.NetworkAccess], request: { tool, ...(url ? { url } : {}), summary: oneLine(`fetch ${url || '(no url)'}`), ...(str(input.prompt) ? { details: str(input.prompt) } : {}) } };
    }
    case 'WebSearch':
      return { tool, categories: [ApprovalCategory.NetworkAccess], request: { tool, summary: oneLine(`web search: ${str(input.query)}`) } };
    case 'ExitPlanMode': {
      const plan = str(input.plan);
      return { tool, categories: [ApprovalCategory.PlanApproval], request: { tool, summary: oneLine(`plan: ${plan || '(empty)'}`), ...(plan ? { details: plan } : {}) } };
    }
    case 'AskUserQuestion': {
      const questions = Array.isArray(input.questions) ? input.questions.map((q) => (isRecord(q) ? str(q.question) : '')).filter(Boolean) : [];
      const text = questions.join('\n') || str(input.question);
      return { tool, categories: [ApprovalCategory.UserInput], request: { tool, summary: oneLine(text || 'a question'), ...(text ? { details: text } : {}) } };
    }
    default:
      return { tool, categories: [ApprovalCategory.ToolExecution], request: { tool, summary: oneLine(`${tool} ${describe(input)}`) } };
  }
}

/** Reads, and bookkeeping whose effects pass the gate on their own (a Task's sub-agent calls tools through it). */
const NEEDS_NOTHING = new Set(['ReadFile', 'ListFiles', 'Read', 'Glob', 'Grep', 'LS', 'NotebookRead', 'TodoWrite', 'Task', 'BashOutput', 'KillShell', 'KillBash']);

const CODEX_COMMAND_TOOLS = new Set(['exec', 'shell', 'local_shell', 'exec_command', 'command_execution']);

function normalizeCall(call: ToolCallInput, driver: string): ToolCallInput {
  if (driver === Driver.Claude) return normalizeClaudeTool(call.tool, call.input);
  if (driver !== Driver.Codex) return call;
  const { tool, input } = call;
  if (CODEX_COMMAND_TOOLS.has(tool)) return { tool: 'RunCommand', input: isRecord(input.action) ? input.action : input }; // local_shell nests it
  if (tool === 'web_search') return { tool: 'WebSearch', input };
  if (tool === 'mcp_tool_call') return { tool: mcpToolName(input), input: isRecord(input.arguments) ? input.arguments : {} };
  if (tool === 'apply_patch' || tool === 'file_change') {
    const changes = codexChanges(input);
    return { tool: fileChangeTool(changes), input: { paths: changes.map((c) => c.path) } };
  }
  return call;
}

/** The files a Codex patch touches: `changes` as a list or a map by path, or the patch text itself. */
function codexChanges(input: Record<string, unknown>): { path: string; kind: string }[] {
  if (Array.isArray(input.changes)) return input.changes.filter(isRecord).map((c) => ({ path: str(c.path), kind: str(c.kind) }));
  if (isRecord(input.changes)) return Object.entries(input.changes).map(([p, c]) => ({ path: p, kind: isRecord(c) ? str(c.type) || str(c.kind) : '' }));
  const patch = str(input.input) || str(input.patch);
  const changes: { path: string; kind: string }[] = [];
  for (const m of patch.matchAll(/^\*\*\* (Add|Update|Delete) File: (.+)$|^\*\*\* Move to: (.+)$/gm)) {
    changes.push(m[3] !== undefined ? { path: m[3].trim(), kind: 'update' } : { path: m[2]!.trim(), kind: m[1]!.toLowerCase() });
  }
  return changes;
}

function classifyFileChange(tool: string, input: Record<string, unknown>, root: string | undefined): Classification {
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

function classifyCommand(input: Record<string, unknown>, root: string | undefined): Classification {
  const argv = Array.isArray(input.command) ? input.command.filter((w): w is string => typeof w === 'string') : undefined;
  const command = argv ? quoteArgv(argv) : str(input.command);
  const dir = str(input.cwd) || str(input.workdir) || str(input.working_directory);
  const analysis = new CommandAnalysis(root, dir ? changeDir(root, dir) : root);
  if (argv) analysis.invocation({ words: argv, redirects: [] }, 0);
  else analysis.script(command, 0);

  const categories: ApprovalCategory[] = [ApprovalCategory.ToolExecution];
  if (analysis.network.length) categories.push(ApprovalCategory.NetworkAccess);
  if (analysis.git.length) categories.push(ApprovalCategory.DestructiveGit);
  if (analysis.writes.length) categories.push(ApprovalCategory.FileWrite);

  const request: ApprovalRequest = { tool: 'RunCommand', command, summary: command.trim() ? oneLine(innermostScript(command)) : '(empty command)' };
  // A single url or path only when it is the only one: a rule matching it must not let a second one through.
  const hosts = new Set(analysis.network.map((n) => n.host));
  const only = analysis.network[0];
  if (only && hosts.size === 1 && only.host) request.url = analysis.network.every((n) => n.url === only.url) && only.url ? only.url : only.host;
  const paths = new Set(analysis.writes.map((w) => w.path));
  const write = analysis.writes[0];
  if (write?.path && paths.size === 1) request.path = write.path;

  const details = [
    str(input.description),
    ...analysis.network.map((n) => `network: ${n.what}${n.host ? ` → ${n.host}` : ''}`),
    ...analysis.git.map((g) => `destructive git: ${g}`),
    ...analysis.writes.map((w) => `writes outside the workspace: ${w.path ?? w.what}`),
    ...analysis.notes,
  ].filter(Boolean);
  if (details.length) request.details = details.join('\n');
  return { tool: 'RunCommand', categories, request };
}

/**
 * The one command a command line runs — unwrapped from `sh -c '…'` layers — or undefined when
 * it runs several (`&&`, `;`, `|`, newlines, substitutions, `find -exec`) or nests too deeply.
 */
export function singleCommand(commandLine: string): string | undefined {
  const analysis = new CommandAnalysis(undefined, undefined);
  analysis.script(commandLine, 0);
  return analysis.leaves === 1 && !analysis.opaque ? innermostScript(commandLine) : undefined;
}

/** The host a URL, `host[:port][/path]` or `[user@]host:path` reaches, lower-cased; undefined when unclear. */
export function hostOf(target: string, opts: { bare?: boolean } = {}): string | undefined {
  const t = target.trim();
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(t)) {
    try {
      return new URL(t).hostname.replace(/^\[|\]$/g, '').toLowerCase() || undefined;
    } catch {
      return undefined;
    }
  }
  if (t.startsWith(':')) return 'localhost'; // httpie's `:3000/path`
  const m = /^(?:[^@/\s]+@)?(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)(?=$|[:/])/.exec(t);
  if (!m) return undefined;
  const host = m[1]!.replace(/^\[|\]$/g, '').toLowerCase();
  // Without a dot a word is more likely a file or a remote name than a host, unless the tool takes hosts only.
  return opts.bare || host.includes('.') || host.includes(':') || host === 'localhost' ? host : undefined;
}

// ---------------------------------------------------------------------------------------------
// Command analysis: what each simple command of a line does.

interface NetworkUse {
  what: string;
  host?: string;
  url?: string;
}

interface OutsideWrite {
  /** The path written, absolute (or as written for `~`/`$HOME`), when there is one. */
  path?: string;
  what: string;
}

const MAX_DEPTH = 8;
const SHELLS = new Set(['sh', 'bash', 'zsh', 'dash', 'ksh', 'ash', 'mksh', 'fish']);
const RESERVED = new Set(['!', '{', '}', 'if', 'then', 'else', 'elif', 'do', 'while', 'until']);
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?\+?=/;

/** Walks a command line in order, remembering `cd`, and collects what its commands do. */
class CommandAnalysis {
  readonly network: NetworkUse[] = [];
  readonly git: string[] = [];
  readonly writes: OutsideWrite[] = [];
  readonly notes: string[] = [];
  /** Commands that run something themselves (a shell unwrapped to its script does not count). */
  leaves = 0;
  opaque = false;

  /** Every directory the line has been in; `cwd` is the latest. */
  private readonly visited = new Set<string | undefined>();

  /** `cwd` is absolute, or home-relative (`~/x`) after `cd ~`; undefined only when the root is unknown. */
  constructor(
    private readonly root: string | undefined,
    private cwd: string | undefined,
  ) {
    this.visited.add(cwd);
  }

  script(text: string, depth: number): void {
    if (depth > MAX_DEPTH) return this.tooDeep();
    for (const cmd of parseShell(text, depth)) this.invocation(cmd, depth);
  }

  invocation(cmd: SimpleCommand, depth: number): void {
    if (cmd.opaque) return this.tooDeep();
    for (const r of cmd.redirects) {
      if (WRITE_REDIRECTS.has(r.op) || (r.op === '>&' && !/^(\d+-?|-)$/.test(r.target))) this.write(r.target);
    }
    const argv = effectiveArgv(cmd.words);
    if (argv.length === 0) {
      if (cmd.redirects.length) this.leaves++;
      return;
    }
    const name = commandName(argv[0]!);
    const args = argv.slice(1);
    const nested = nestedScript(name, args, cmd.redirects);
    if (nested !== undefined) return this.script(nested, depth + 1);
    this.leaves++;
    if (name === 'find') this.find(args, depth);
    if (name === 'cd' || name === 'pushd') this.chdir(args);
    const net = networkUse(name, args);
    if (net) this.network.push(net);
    const git = name === 'git' ? destructiveGit(args) : undefined;
    if (git) this.git.push(git);
    for (const target of writeTargets(name, args)) this.write(target);
    const global = globalInstall(name, args);
    if (global) this.writes.push({ what: global });
  }

  private write(target: string): void {
    // The latest directory first, so the path shown is the likeliest one.
    for (const dir of [this.cwd, ...this.visited]) {
      const outside = outsidePath(target, dir, this.root);
      if (outside !== undefined) return void this.writes.push({ path: outside, what: outside });
    }
  }

  private chdir(args: string[]): void {
    this.cwd = changeDir(this.cwd, operands(args)[0]);
    this.visited.add(this.cwd);
  }

  /** `find START… -exec cmd {} ;` runs cmd on what it finds under START; `-delete` deletes it. */
  private find(args: string[], depth: number): void {
    const firstExpr = args.findIndex((a) => a.startsWith('-') || a === '(' || a === '!');
    const starts = (firstExpr < 0 ? args : args.slice(0, firstExpr)).filter((a) => a !== '');
    const start = starts[0] ?? '.';
    for (let i = 0; i < args.length; i++) {
      if (args[i] === '-delete') starts.forEach((s) => this.write(s));
      if (!['-exec', '-execdir', '-ok', '-okdir'].includes(args[i]!)) continue;
      const end = args.findIndex((a, j) => j > i && (a === ';' || a === '+'));
      const words = args.slice(i + 1, end < 0 ? undefined : end).map((w) => w.replaceAll('{}', start));
      this.invocation({ words, redirects: [] }, depth + 1);
      i = end < 0 ? args.length : end;
    }
  }

  private tooDeep(): void {
    if (!this.opaque) this.notes.push(`nested more than ${MAX_DEPTH} levels deep: not analysed further`);
    this.opaque = true;
  }
}

const WRITE_REDIRECTS = new Set(['>', '>>', '>|', '&>', '&>>', '<>']);
const DEVICE_PATHS = /^\/dev\/(null|zero|stdout|stderr|tty|fd\/\d+)$|^\/proc\/self\/fd\/\d+$/;

function isHomePath(p: string): boolean {
  return /^~([\w.-]*)(\/|$)/.test(p) || /^\$(HOME|\{HOME\})(\/|$)/.test(p);
}

/** Where `cd dir` leads from `cwd`. A directory through another variable, or `cd -`, is assumed not to move. */
function changeDir(cwd: string | undefined, dir: string | undefined): string | undefined {
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
function outsidePath(target: string, cwd: string | undefined, root: string | undefined): string | undefined {
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

function commandName(word: string): string {
  return word.includes('/') ? path.posix.basename(word) : word;
}

/** The command that actually runs, past assignments, reserved words and wrappers (sudo, env, nohup, …). */
function effectiveArgv(words: string[]): string[] {
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

const set = (...xs: string[]): ReadonlySet<string> => new Set(xs);
const NONE = set();

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
function nestedScript(name: string, args: string[], redirects: Redirect[]): string | undefined {
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
function innermostScript(line: string): string {
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

// ---------------------------------------------------------------------------------------------
// Option reading, getopt-style and best effort.

/** Arguments after the leading options (and the values of those in `valued`). */
function afterOptions(args: string[], valued: ReadonlySet<string> = NONE): string[] {
  let i = 0;
  while (i < args.length) {
    const a = args[i]!;
    if (a === '--') return args.slice(i + 1);
    if (!a.startsWith('-') || a === '-') break;
    i += valued.has(a) ? 2 : 1;
  }
  return args.slice(i);
}

/** The operands: every argument that is neither an option nor the value of one in `valued`. */
function operands(args: string[], valued: ReadonlySet<string> = NONE): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') return [...out, ...args.slice(i + 1)];
    if (a.startsWith('-') && a !== '-') {
      if (valued.has(a)) i++;
    } else out.push(a);
  }
  return out;
}

/** Values of an option: `-o v`, `-ov`, `-xo v` (a cluster ending in it), `--output v`, `--output=v`. */
function optionValues(args: string[], names: string[]): string[] {
  const values: string[] = [];
  for (let i = 0; i < args.length && args[i] !== '--'; i++) {
    const a = args[i]!;
    for (const n of names) {
      const short = n.length === 2 && a.startsWith('-') && !a.startsWith('--');
      if (a === n) {
        if (i + 1 < args.length) values.push(args[++i]!);
      } else if (n.startsWith('--') && a.startsWith(`${n}=`)) values.push(a.slice(n.length + 1));
      else if (short && a.startsWith(n)) values.push(a.slice(2));
      else if (short && /^-[a-zA-Z]+$/.test(a) && a.endsWith(n[1]!)) {
        if (i + 1 < args.length) values.push(args[++i]!);
      } else continue;
      break;
    }
  }
  return values;
}

/** Whether a flag is given, long (`--force`, `--force=…`) or as a letter in a short cluster (`-fd`). */
function hasFlag(args: string[], longs: string[], letters = ''): boolean {
  for (const a of args) {
    if (a === '--') return false;
    if (longs.some((l) => a === l || a.startsWith(`${l}=`))) return true;
    if (letters && /^-[a-zA-Z0-9]+$/.test(a) && [...a.slice(1)].some((c) => letters.includes(c))) return true;
  }
  return false;
}

/** The first operand, for tools whose first operand names the subcommand. */
function subcommand(args: string[], valued: ReadonlySet<string> = NONE): { sub: string | undefined; rest: string[] } {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') return { sub: args[i + 1], rest: args.slice(i + 2) };
    if (a.startsWith('-') && a !== '-') {
      if (valued.has(a)) i++;
      continue;
    }
    return { sub: a, rest: args.slice(i + 1) };
  }
  return { sub: undefined, rest: [] };
}

// ---------------------------------------------------------------------------------------------
// Approval rules: network, destructive git, writes.

const CURL_VALUED = set(
  '-o', '-H', '-d', '-X', '-u', '-A', '-e', '-b', '-c', '-T', '-F', '-x', '-w', '-m', '-K', '-E', '-r', '-C', '-Y', '-y', '-z', '-U', '-Q', '-t',
  '--output', '--header', '--data', '--data-raw', '--data-binary', '--data-urlencode', '--data-ascii', '--json', '--request', '--user',
  '--user-agent', '--referer', '--cookie', '--cookie-jar', '--upload-file', '--form', '--form-string', '--proxy', '--write-out', '--max-time',
  '--connect-timeout', '--config', '--cert', '--key', '--cacert', '--capath', '--range', '--continue-at', '--retry', '--retry-delay',
  '--retry-max-time', '--resolve', '--connect-to', '--output-dir', '--proxy-user', '--oauth2-bearer', '--limit-rate', '--max-filesize',
  '--interface', '--dns-servers', '--url-query', '--variable', '--url',
);
const WGET_VALUED = set(
  '-O', '-o', '-a', '-P', '-e', '-U', '-t', '-T', '-w', '-i', '-B', '-Q', '-l', '-D', '-X', '-I', '-R', '-A', '--header', '--user', '--password',
  '--post-data', '--post-file', '--output-document', '--output-file', '--directory-prefix', '--user-agent', '--tries', '--timeout', '--wait',
  '--input-file', '--referer',
);
const HTTPIE_VALUED = set(
  '-a', '--auth', '-A', '--auth-type', '--session', '--session-read-only', '-o', '--output', '--verify', '--cert', '--cert-key', '--proxy',
  '--timeout', '--max-redirects', '--pretty', '-s', '--style', '-p', '--print', '--format-options', '--boundary', '--ssl', '--ciphers',
  '--default-scheme',
);
const SSH_VALUED = set('-b', '-c', '-D', '-E', '-e', '-F', '-I', '-i', '-J', '-L', '-l', '-m', '-O', '-o', '-p', '-Q', '-R', '-S', '-W', '-w', '-B', '-P');
const NC_VALUED = set('-p', '-s', '-w', '-i', '-q', '-x', '-X', '-e', '-c', '-O', '-I', '-T', '-V', '-W', '-M', '-m');
const RSYNC_VALUED = set(
  '-e', '--rsh', '-f', '--filter', '--exclude', '--include', '-B', '-T', '--port', '--password-file', '--log-file', '--chmod', '--chown', '-M',
);
const HOST_TOOLS: Record<string, ReadonlySet<string>> = {
  ssh: SSH_VALUED,
  sftp: SSH_VALUED,
  ftp: NONE,
  telnet: NONE,
  nc: NC_VALUED,
  ncat: NC_VALUED,
  netcat: NC_VALUED,
  ping: set('-c', '-i', '-w', '-W', '-s', '-t', '-I', '-l', '-p', '-Q', '-S', '-M'),
  ping6: set('-c', '-i', '-w', '-W', '-s', '-t', '-I'),
  traceroute: set('-f', '-m', '-p', '-q', '-s', '-w', '-i'),
  mtr: set('-c', '-i', '-s'),
  whois: set('-h', '-p'),
  dig: set('-p', '-b', '-t', '-c', '-x', '-f', '-k', '-y', '-q'),
  nslookup: NONE,
  host: set('-t', '-c', '-W', '-R', '-m'),
  nmap: set('-p', '-o', '-oN', '-oX', '-oG', '-iL', '-e', '-S'),
};

/** Whether a command reaches the network, and where. */
function networkUse(name: string, args: string[]): NetworkUse | undefined {
  if (/^pip\d*(\.\d+)?$/.test(name)) return pipUse(name, args);
  if (/^python\d*(\.\d+)?$/.test(name)) {
    const m = args.findIndex((a) => a === '-m' || a === '-mpip');
    if (m >= 0 && (args[m] === '-mpip' || args[m + 1] === 'pip')) return pipUse('python -m pip', args.slice(args[m] === '-mpip' ? m + 1 : m + 2));
    return undefined;
  }
  const hostValued = HOST_TOOLS[name];
  if (hostValued) {
    const listening = (name === 'nc' || name === 'ncat' || name === 'netcat') && hasFlag(args, ['--listen'], 'l');
    const target = operands(args, hostValued).find((o) => !o.startsWith('@'));
    const host = !listening && target ? hostOf(target, { bare: true }) : undefined;
    return { what: name, ...(host ? { host } : {}) };
  }
  switch (name) {
    case 'curl': {
      const urls = [...optionValues(args, ['--url']), ...operands(args, CURL_VALUED)];
      return urlUse(name, urls.find((u) => hostOf(u) !== undefined) ?? urls[0]);
    }
    case 'wget':
      return urlUse(name, operands(args, WGET_VALUED)[0]);
    case 'http':
    case 'https':
    case 'xh':
    case 'xhs': {
      const ops = operands(args, HTTPIE_VALUED);
      return urlUse(name, /^[A-Z]+$/.test(ops[0] ?? '') ? ops[1] : ops[0]);
    }
    case 'scp':
    case 'rsync': {
      const ops = operands(args, name === 'scp' ? SSH_VALUED : RSYNC_VALUED);
      const remote = ops.find((o) => /^(rsync|scp|sftp):\/\//.test(o) || /^(?:[^@/\s]+@)?[A-Za-z0-9.-]+:/.test(o));
      if (!remote && name === 'rsync') return undefined; // a local copy
      const host = remote ? hostOf(remote, { bare: true }) : undefined;
      return { what: name, ...(host ? { host } : {}) };
    }
    case 'git':
      return gitNetwork(args);
    case 'npm':
    case 'pnpm':
    case 'yarn':
    case 'bun':
    case 'npx':
    case 'pnpx':
    case 'bunx':
      return nodePackagesUse(name, args);
    default:
      return packageManagerUse(name, args);
  }
}

function urlUse(name: string, target: string | undefined): NetworkUse {
  const host = target ? hostOf(target) : undefined;
  return { what: name, ...(host ? { host } : {}), ...(host && /^[a-z]+:\/\//i.test(target!) ? { url: target } : {}) };
}

function registryHost(args: string[], fallback: string): string {
  const registry = optionValues(args, ['--registry', '--index-url', '-i', '--index'])[0];
  return (registry && hostOf(registry)) || fallback;
}

const NPM_NETWORK = set(
  'install', 'i', 'in', 'ins', 'inst', 'insta', 'instal', 'isnt', 'isnta', 'isntal', 'isntall', 'add', 'ci', 'clean-install', 'ic', 'install-clean',
  'update', 'up', 'upgrade', 'udpate', 'install-test', 'it', 'install-ci-test', 'cit', 'exec', 'x', 'create', 'publish', 'unpublish', 'view', 'v',
  'info', 'show', 'outdated', 'audit', 'search', 'login', 'adduser', 'whoami', 'dist-tag', 'deprecate', 'owner', 'access', 'dedupe', 'doctor',
  'ping',
);
const PNPM_NETWORK = set(
  'install', 'i', 'add', 'update', 'up', 'upgrade', 'fetch', 'dlx', 'create', 'publish', 'outdated', 'audit', 'view', 'info', 'install-test', 'it',
);
const YARN_NETWORK = set(
  'install', 'add', 'up', 'upgrade', 'upgrade-interactive', 'dlx', 'create', 'publish', 'info', 'npm', 'outdated', 'audit', 'global', 'set',
);
const BUN_NETWORK = set('install', 'i', 'add', 'a', 'update', 'upgrade', 'x', 'create', 'publish', 'outdated', 'info');
const NODE_VALUED: Record<string, ReadonlySet<string>> = {
  npm: set('--prefix', '-w', '--workspace', '--registry', '--cache', '--userconfig', '--loglevel'),
  pnpm: set('-C', '--dir', '--filter', '-F', '--registry', '--loglevel'),
  yarn: set('--cwd', '--registry'),
  bun: set('--cwd', '--registry'),
};

/** npm and friends: installs, exec/dlx and registry commands reach the registry; `npx` always may. */
function nodePackagesUse(name: string, args: string[]): NetworkUse | undefined {
  if (hasFlag(args, ['--offline', '--no-install'])) return undefined;
  const host = registryHost(args, name === 'yarn' ? 'registry.yarnpkg.com' : 'registry.npmjs.org');
  if (name === 'npx' || name === 'pnpx' || name === 'bunx') return { what: name, host };
  const { sub, rest } = subcommand(args, NODE_VALUED[name]);
  const network =
    name === 'npm' ? NPM_NETWORK.has(sub ?? '') || (sub === 'init' && operands(rest).length > 0)
    : name === 'pnpm' ? PNPM_NETWORK.has(sub ?? '')
    : name === 'yarn' ? (sub === undefined && !hasFlag(args, ['--version', '--help'], 'vh')) || YARN_NETWORK.has(sub ?? '')
    : BUN_NETWORK.has(sub ?? '');
  return network ? { what: `${name} ${sub ?? 'install'}`, host } : undefined;
}

function pipUse(name: string, args: string[]): NetworkUse | undefined {
  const { sub } = subcommand(args, set('-r', '--requirement', '-c', '--constraint', '-i', '--index-url', '--extra-index-url', '-t', '--target', '--prefix', '--root'));
  if (!['install', 'download', 'wheel', 'index', 'search'].includes(sub ?? '') || hasFlag(args, ['--no-index'])) return undefined;
  return { what: `${name} ${sub}`, host: registryHost(args, 'pypi.org') };
}

/** Package managers by subcommand: name → [subcommands that fetch, the default host]. */
const PACKAGE_MANAGERS: Record<string, [ReadonlySet<string>, string | undefined]> = {
  uv: [set('add', 'sync', 'lock', 'remove', 'pip', 'tool', 'python', 'self'), 'pypi.org'],
  poetry: [set('add', 'install', 'update', 'lock', 'remove', 'search', 'publish', 'self'), 'pypi.org'],
  pipx: [set('install', 'run', 'upgrade', 'upgrade-all', 'inject', 'reinstall'), 'pypi.org'],
  conda: [set('install', 'create', 'update', 'upgrade', 'search'), undefined],
  mamba: [set('install', 'create', 'update', 'upgrade', 'search'), undefined],
  cargo: [set('install', 'add', 'fetch', 'update', 'search', 'publish', 'login', 'generate-lockfile'), 'crates.io'],
  go: [set('get', 'install', 'mod'), 'proxy.golang.org'],
  gem: [set('install', 'update', 'fetch', 'push', 'search'), 'rubygems.org'],
  bundle: [set('install', 'update', 'add', 'outdated'), 'rubygems.org'],
  bundler: [set('install', 'update', 'add', 'outdated'), 'rubygems.org'],
  composer: [set('install', 'require', 'update', 'create-project', 'outdated', 'self-update', 'global'), 'repo.packagist.org'],
  apt: [set('install', 'update', 'upgrade', 'dist-upgrade', 'full-upgrade', 'source', 'download', 'build-dep', 'reinstall'), undefined],
  'apt-get': [set('install', 'update', 'upgrade', 'dist-upgrade', 'source', 'download', 'build-dep', 'reinstall'), undefined],
  aptitude: [set('install', 'update', 'upgrade', 'safe-upgrade', 'full-upgrade', 'download', 'reinstall'), undefined],
  dnf: [set('install', 'update', 'upgrade', 'makecache', 'download', 'reinstall'), undefined],
  yum: [set('install', 'update', 'upgrade', 'makecache', 'reinstall'), undefined],
  apk: [set('add', 'update', 'upgrade', 'fetch'), undefined],
  zypper: [set('install', 'in', 'update', 'up', 'refresh', 'ref', 'dist-upgrade', 'dup'), undefined],
  brew: [set('install', 'upgrade', 'update', 'fetch', 'tap', 'reinstall', 'bundle', 'search'), undefined],
  gh: [set(), 'api.github.com'],
  glab: [set(), 'gitlab.com'],
};
/** CLIs that talk to a remote service on nearly every invocation. */
const REMOTE_CLIS = set('aws', 'gcloud', 'gsutil', 'az', 'kubectl', 'helm', 'doctl', 'flyctl', 'fly', 'heroku', 'vercel', 'netlify');

function packageManagerUse(name: string, args: string[]): NetworkUse | undefined {
  if (name === 'uvx') return { what: name, host: registryHost(args, 'pypi.org') };
  if (name === 'pacman') return args.some((a) => /^-[a-zA-Z]*S/.test(a) || /^-[a-zA-Z]*U/.test(a)) ? { what: 'pacman -S' } : undefined;
  if (name === 'docker' || name === 'podman' || name === 'nerdctl') return containerUse(name, args);
  if (REMOTE_CLIS.has(name)) return args.length && !hasFlag(args, ['--help', '--version', '--client']) ? { what: name } : undefined;
  const known = PACKAGE_MANAGERS[name];
  if (!known) return undefined;
  const [subs, host] = known;
  const { sub, rest } = subcommand(args, set('-C', '--manifest-path', '-d', '--directory', '--project'));
  const fetches =
    name === 'gh' || name === 'glab' ? sub !== undefined && !['help', 'completion', 'version', 'config', 'alias'].includes(sub)
    : name === 'go' && sub === 'mod' ? ['download', 'tidy'].includes(operands(rest)[0] ?? '')
    : name === 'uv' && (sub === 'pip' || sub === 'tool' || sub === 'python') ? ['install', 'compile', 'sync', 'download', 'run', 'upgrade'].includes(operands(rest)[0] ?? '')
    : subs.has(sub ?? '');
  if (!fetches) return undefined;
  const h = name === 'gh' || name === 'glab' ? host : registryHost(args, host ?? '');
  return { what: `${name} ${sub}`, ...(h ? { host: h } : {}) };
}

const DOCKER_RUN_VALUED = set(
  '-a', '--attach', '-c', '--cpu-shares', '--cidfile', '--cpus', '--cpuset-cpus', '-e', '--env', '--env-file', '--entrypoint', '--expose', '-h',
  '--hostname', '--ip', '-l', '--label', '--label-file', '--log-driver', '--log-opt', '-m', '--memory', '--mount', '--name', '--network', '--net',
  '--network-alias', '-p', '--publish', '--platform', '--pull', '--restart', '--runtime', '--security-opt', '--shm-size', '--stop-signal',
  '--stop-timeout', '--tmpfs', '-u', '--user', '--ulimit', '-v', '--volume', '--volumes-from', '-w', '--workdir', '--gpus', '--add-host', '--device',
  '--dns', '--group-add', '--cap-add', '--cap-drop', '--pid', '--ipc', '--uts', '--userns', '--health-cmd',
);

/** docker/podman: pulling, pushing or running an image reaches its registry (docker.io unless named). */
function containerUse(name: string, args: string[]): NetworkUse | undefined {
  let { sub, rest } = subcommand(args, set('-H', '--host', '--context', '-c', '--config', '-l', '--log-level'));
  if ((sub === 'image' || sub === 'container') && rest.length) ({ sub, rest } = subcommand(rest));
  if (sub === 'compose') {
    const c = subcommand(rest, set('-f', '--file', '-p', '--project-name', '--profile', '--env-file', '--project-directory'));
    return ['pull', 'push', 'up', 'run', 'create'].includes(c.sub ?? '') ? { what: `${name} compose ${c.sub}` } : undefined;
  }
  if (sub === 'login' || sub === 'search') {
    const target = operands(rest, set('-u', '--username', '-p', '--password', '-f', '--filter', '--limit', '--format'))[0];
    return { what: `${name} ${sub}`, host: (sub === 'login' && target && hostOf(target, { bare: true })) || 'docker.io' };
  }
  if (!['pull', 'push', 'run', 'create'].includes(sub ?? '')) return undefined;
  const image = operands(rest, DOCKER_RUN_VALUED)[0];
  return { what: `${name} ${sub}${image ? ` ${image}` : ''}`, ...(image ? { host: imageRegistry(image) } : {}) };
}

function imageRegistry(image: string): string {
  const first = image.split('/')[0]!;
  const named = image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  return named ? first.replace(/:\d+$/, '').toLowerCase() : 'docker.io';
}

const GIT_GLOBAL_VALUED = set('-C', '-c', '--git-dir', '--work-tree', '--namespace', '--super-prefix', '--config-env');
const GIT_SUB_VALUED = set(
  '--depth', '-b', '--branch', '-o', '--origin', '-c', '--config', '--reference', '--reference-if-able', '--template', '--separate-git-dir', '-u',
  '--upload-pack', '--receive-pack', '--exec', '-j', '--jobs', '--filter', '--shallow-since', '--shallow-exclude', '--deepen', '--push-option',
  '--server-option', '--refmap', '--negotiation-tip', '--repo', '-s', '--strategy', '-X', '--strategy-option', '-m', '--message',
);

function gitParts(args: string[]): { sub: string | undefined; rest: string[] } {
  return subcommand(args, GIT_GLOBAL_VALUED);
}

/** git commands that talk to a remote; the host when the repository is given as a URL. */
function gitNetwork(args: string[]): NetworkUse | undefined {
  const { sub, rest } = gitParts(args);
  const first = operands(rest, GIT_SUB_VALUED)[0];
  let network: boolean;
  switch (sub) {
    case 'clone':
    case 'fetch':
    case 'pull':
    case 'push':
    case 'ls-remote':
    case 'fetch-pack':
    case 'send-pack':
      network = true;
      break;
    case 'submodule':
      network = ['update', 'add'].includes(first ?? '');
      break;
    case 'remote':
      network = ['update', 'show', 'prune'].includes(first ?? '');
      break;
    case 'lfs':
      network = ['pull', 'fetch', 'push', 'clone'].includes(first ?? '');
      break;
    case 'archive':
      network = hasFlag(rest, ['--remote']);
      break;
    default:
      network = false;
  }
  if (!network) return undefined;
  const repo = sub === 'clone' || sub === 'fetch' || sub === 'pull' || sub === 'push' || sub === 'ls-remote' ? first : undefined;
  const host = repo ? hostOf(repo) : undefined;
  return { what: `git ${sub}`, ...(host ? { host } : {}), ...(host && /^[a-z+]+:\/\//i.test(repo!) ? { url: repo } : {}) };
}

/**
 * Git commands that lose work or rewrite shared history. `restore`/`checkout` count when they
 * overwrite the working tree (uncommitted changes are gone for good); `restore --staged` alone only
 * unstages and does not. `rebase --abort/--continue/--quit` only finish or undo an approved rebase.
 * `update-ref` counts whatever it does: it moves refs past every porcelain safety check.
 */
function destructiveGit(args: string[]): string | undefined {
  const { sub, rest } = gitParts(args);
  const ops = operands(rest, GIT_SUB_VALUED);
  const line = `git ${[sub, ...rest].join(' ')}`;
  const yes = (why: string): string => `${why} (${line})`;
  switch (sub) {
    case 'push':
      if (hasFlag(rest, ['--force', '--force-with-lease', '--mirror'], 'f')) return yes('force push');
      if (hasFlag(rest, ['--delete', '--prune'], 'd') || ops.slice(1).some((r) => r.startsWith(':'))) return yes('deletes remote refs');
      return ops.slice(1).some((r) => r.startsWith('+')) ? yes('force push (+refspec)') : undefined;
    case 'branch':
      return hasFlag(rest, ['--delete', '--force'], 'DdMCf') ? yes('deletes or overwrites a branch') : undefined;
    case 'reset':
      return hasFlag(rest, ['--hard']) ? yes('discards uncommitted changes') : undefined;
    case 'clean':
      return hasFlag(rest, ['--force'], 'f') && !hasFlag(rest, ['--dry-run'], 'n') ? yes('deletes untracked files') : undefined;
    case 'checkout':
      return hasFlag(rest, ['--force'], 'fB') || rest.includes('--') || ops.includes('.') ? yes('overwrites the working tree') : undefined;
    case 'switch':
      return hasFlag(rest, ['--force', '--discard-changes', '--force-create'], 'fC') ? yes('overwrites the working tree or a branch') : undefined;
    case 'restore':
      return hasFlag(rest, ['--worktree'], 'W') || !hasFlag(rest, ['--staged'], 'S') ? yes('overwrites the working tree') : undefined;
    case 'rebase':
      return hasFlag(rest, ['--abort', '--continue', '--quit', '--show-current-patch', '--edit-todo']) ? undefined : yes('rewrites history');
    case 'filter-branch':
    case 'filter-repo':
      return yes('rewrites history');
    case 'commit':
      return hasFlag(rest, ['--amend']) ? yes('rewrites the last commit') : undefined;
    case 'reflog':
      return ['expire', 'delete'].includes(ops[0] ?? '') ? yes('drops reflog entries') : undefined;
    case 'gc':
      return rest.some((a) => /^--prune=(now|all)$/.test(a)) ? yes('prunes unreachable commits now') : undefined;
    case 'prune':
      return yes('prunes unreachable commits');
    case 'update-ref':
      return yes('moves or deletes a ref directly');
    case 'tag':
      return hasFlag(rest, ['--delete', '--force'], 'df') ? yes('deletes or moves a tag') : undefined;
    case 'stash':
      return ['drop', 'clear'].includes(ops[0] ?? '') ? yes('drops stashed changes') : undefined;
    default:
      return undefined;
  }
}

/** Paths a command writes, as written: redirections aside, by what the program is known to do. */
function writeTargets(name: string, args: string[]): string[] {
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
function globalInstall(name: string, args: string[]): string | undefined {
  const { sub, rest } = subcommand(args, NODE_VALUED[name] ?? NONE);
  if (['npm', 'pnpm', 'bun'].includes(name) && hasFlag(args, ['--global', '--location=global'], 'g') && sub && ['install', 'i', 'add', 'update', 'up', 'remove', 'rm', 'uninstall', 'link'].includes(sub)) return `global packages (${name} ${sub} -g)`;
  if (name === 'yarn' && sub === 'global' && ['add', 'remove', 'upgrade'].includes(rest[0] ?? '')) return 'global packages (yarn global)';
  if ((name === 'cargo' || name === 'go') && sub === 'install') return `${name === 'cargo' ? 'cargo' : 'go'} bin directory (${name} install)`;
  const system = PACKAGE_MANAGERS[name];
  if (system && system[1] === undefined && ['install', 'add', 'reinstall', 'upgrade', 'dist-upgrade', 'full-upgrade', 'in'].includes(sub ?? '')) return `system packages (${name} ${sub})`;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// The shell reader: a command line → its simple commands, in order, with quotes removed.

export interface Redirect {
  op: string;
  /** The word after the operator: a file, an fd, or a here-document's delimiter. */
  target: string;
  /** A here-document's text. */
  body?: string;
}

export interface SimpleCommand {
  /** Words with quotes and escapes removed; expansions (`$X`, `$(…)`) are left as written. */
  words: string[];
  redirects: Redirect[];
  /** Stands for a script nested too deeply to read. */
  opaque?: true;
}

const REDIRECT_OPS = ['&>>', '<<<', '<<-', '&>', '>>', '>|', '>&', '<<', '<&', '<>', '>', '<'];
const CONTROL_OPS = ['&&', '||', ';;&', ';;', ';&', '|&', ';', '|', '&', '(', ')', '\n'];

/**
 * Splits a POSIX/bash command line into simple commands: at `;`, `&&`, `||`, `|`, `&`, newlines
 * and parentheses; commands inside `$(…)`, backticks and `<(…)` come out too (before the command
 * that holds them). Quotes, escapes, `$'…'`, line continuations, comments and here-documents are
 * understood. Not understood (harmlessly: it can only over-split): `case` patterns inside `$(…)`.
 */
export function parseShell(script: string, depth = 0): SimpleCommand[] {
  return new ShellReader(script, depth).read();
}

class ShellReader {
  private i = 0;
  private readonly commands: SimpleCommand[] = [];
  private words: string[] = [];
  private redirects: Redirect[] = [];
  private word: string | undefined;
  private quoted = false;
  private redirectOp: string | undefined;
  private heredocs: { redirect: Redirect; quoted: boolean }[] = [];

  constructor(
    private readonly src: string,
    private readonly depth: number,
  ) {}

  read(): SimpleCommand[] {
    const s = this.src;
    while (this.i < s.length) {
      const c = s[this.i]!;
      if (c === ' ' || c === '\t' || c === '\r') {
        this.endWord();
        this.i++;
      } else if (c === '#' && this.word === undefined) {
        while (this.i < s.length && s[this.i] !== '\n') this.i++;
      } else if (c === '\\') {
        if (s[this.i + 1] !== '\n' && this.i + 1 < s.length) this.append(s[this.i + 1]!, true);
        this.i += 2;
      } else if (c === "'") {
        const end = s.indexOf("'", this.i + 1);
        this.append(s.slice(this.i + 1, end < 0 ? s.length : end), true);
        this.i = end < 0 ? s.length : end + 1;
      } else if (c === '"') {
        this.doubleQuoted();
      } else if (c === '`') {
        this.append(this.backtick());
      } else if (c === '$') {
        this.append(this.dollar());
      } else if (!this.operator()) {
        this.append(c);
        this.i++;
      }
    }
    this.endCommand();
    return this.commands;
  }

  private append(text: string, quoted = false): void {
    this.word = (this.word ?? '') + text;
    this.quoted ||= quoted;
  }

  private endWord(): void {
    if (this.word === undefined) return;
    if (this.redirectOp !== undefined) {
      const redirect: Redirect = { op: this.redirectOp, target: this.word };
      this.redirects.push(redirect);
      if (this.redirectOp === '<<' || this.redirectOp === '<<-') this.heredocs.push({ redirect, quoted: this.quoted });
      this.redirectOp = undefined;
    } else {
      this.words.push(this.word);
    }
    this.word = undefined;
    this.quoted = false;
  }

  private endCommand(): void {
    this.endWord();
    this.redirectOp = undefined;
    if (this.words.length || this.redirects.length) this.commands.push({ words: this.words, redirects: this.redirects });
    this.words = [];
    this.redirects = [];
  }

  private operator(): boolean {
    const s = this.src;
    const c = s[this.i]!;
    if ((c === '<' || c === '>') && s[this.i + 1] === '(') {
      // Process substitution: its commands run; to the outer command it is a file name.
      this.endWord();
      const end = closing(s, this.i + 1, '(', ')');
      this.nested(s.slice(this.i + 2, end));
      this.append(s.slice(this.i, end + 1));
      this.i = end + 1;
      this.endWord();
      return true;
    }
    const redirect = REDIRECT_OPS.find((op) => s.startsWith(op, this.i));
    if (redirect) {
      // A number (or {var}) right before the operator names a file descriptor, not a word.
      if (this.word !== undefined && !this.quoted && /^(\d+|\{[A-Za-z_]\w*\})$/.test(this.word)) this.word = undefined;
      else this.endWord();
      this.redirectOp = redirect;
      this.i += redirect.length;
      return true;
    }
    const control = CONTROL_OPS.find((op) => s.startsWith(op, this.i));
    if (!control) return false;
    this.endCommand();
    this.i += control.length;
    if (control === '\n') this.readHeredocBodies();
    return true;
  }

  private readHeredocBodies(): void {
    const s = this.src;
    for (const { redirect, quoted } of this.heredocs) {
      const lines: string[] = [];
      while (this.i < s.length) {
        const nl = s.indexOf('\n', this.i);
        const line = s.slice(this.i, nl < 0 ? s.length : nl);
        this.i = nl < 0 ? s.length : nl + 1;
        if ((redirect.op === '<<-' ? line.replace(/^\t+/, '') : line) === redirect.target) break;
        lines.push(line);
      }
      redirect.body = lines.join('\n');
      // An unquoted delimiter means the body's substitutions run.
      if (!quoted) this.substitutionsIn(redirect.body);
    }
    this.heredocs = [];
  }

  private doubleQuoted(): void {
    const s = this.src;
    let text = '';
    this.i++;
    while (this.i < s.length && s[this.i] !== '"') {
      const c = s[this.i]!;
      if (c === '\\' && this.i + 1 < s.length) {
        const next = s[this.i + 1]!;
        if (next !== '\n') text += '$`"\\'.includes(next) ? next : `\\${next}`;
        this.i += 2;
      } else if (c === '$' && s[this.i + 1] !== "'") text += this.dollar();
      else if (c === '`') text += this.backtick();
      else {
        text += c;
        this.i++;
      }
    }
    this.i++;
    this.append(text, true);
  }

  /** At a `$`: reads `$(…)`, `$((…))`, `${…}` or `$'…'` (running what they run) and returns the word text. */
  private dollar(): string {
    const s = this.src;
    const start = this.i;
    const next = s[start + 1];
    if (next === '(' || next === '{') {
      const end = closing(s, start + 1, next, next === '(' ? ')' : '}');
      const inner = s.slice(start + 2, end);
      if (next === '(' && s[start + 2] !== '(') this.nested(inner);
      else this.substitutionsIn(inner);
      this.i = end + 1;
      return s.slice(start, end + 1);
    }
    if (next === "'") {
      let j = start + 2;
      while (j < s.length && s[j] !== "'") j += s[j] === '\\' ? 2 : 1;
      this.i = j + 1;
      this.quoted = true;
      return decodeAnsiC(s.slice(start + 2, j));
    }
    this.i++;
    return '$';
  }

  private backtick(): string {
    const s = this.src;
    const start = this.i;
    let j = start + 1;
    while (j < s.length && s[j] !== '`') j += s[j] === '\\' ? 2 : 1;
    this.nested(s.slice(start + 1, j).replace(/\\([`\\$])/g, '$1'));
    this.i = j + 1;
    return s.slice(start, j + 1);
  }

  /** Runs the substitutions found in text that is otherwise data (`${x:-$(cmd)}`, here-document bodies). */
  private substitutionsIn(text: string): void {
    for (let j = 0; j < text.length; j++) {
      if (text[j] === '\\') j++;
      else if (text[j] === '$' && text[j + 1] === '(' && text[j + 2] !== '(') {
        const end = closing(text, j + 1, '(', ')');
        this.nested(text.slice(j + 2, end));
        j = end;
      } else if (text[j] === '`') {
        const end = text.indexOf('`', j + 1);
        this.nested(text.slice(j + 1, end < 0 ? text.length : end));
        j = end < 0 ? text.length : end;
      }
    }
  }

  private nested(script: string): void {
    if (this.depth + 1 > MAX_DEPTH) this.commands.push({ words: [], redirects: [], opaque: true });
    else this.commands.push(...parseShell(script, this.depth + 1));
  }
}

/** Index of the bracket closing the one at `open`, skipping quoted text; the end of `s` when unclosed. */
function closing(s: string, open: number, opener: string, closer: string): number {
  let depth = 0;
  for (let j = open; j < s.length; j++) {
    const c = s[j]!;
    if (c === '\\') j++;
    else if (c === "'") {
      const end = s.indexOf("'", j + 1);
      if (end < 0) return s.length;
      j = end;
    } else if (c === '"' || c === '`') {
      let k = j + 1;
      while (k < s.length && s[k] !== c) k += s[k] === '\\' ? 2 : 1;
      j = k;
    } else if (c === opener) depth++;
    else if (c === closer && --depth === 0) return j;
  }
  return s.length;
}

const ANSI_C: Record<string, string> = { n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', f: '\f', v: '\v', e: '\x1b', E: '\x1b' };

function decodeAnsiC(body: string): string {
  return body.replace(/\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)/gs, (_, e: string) => {
    if (e[0] === 'x') return String.fromCharCode(parseInt(e.slice(1), 16));
    if (/^[0-7]/.test(e)) return String.fromCharCode(parseInt(e, 8));
    return ANSI_C[e] ?? e;
  });
}

// ---------------------------------------------------------------------------------------------
// Small text helpers.

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The first line, at most `max` characters; an ellipsis says something was cut. */
function oneLine(text: string, max = 120): string {
  const trimmed = text.trim();
  const line = trimmed.split('\n')[0]!;
  const cut = line.length > max ? `${line.slice(0, max - 1)}…` : line;
  return cut !== trimmed && !cut.endsWith('…') ? `${cut} …` : cut;
}

/** A short rendering of a tool's input for summaries: its path, url or command when it has one. */
function describe(input: Record<string, unknown>): string {
  const key = ['path', 'url', 'command', 'pattern', 'query'].find((k) => typeof input[k] === 'string');
  if (key) return str(input[key]);
  const json = JSON.stringify(input);
  return json === '{}' ? '' : json;
}

/** Quotes an argv as a shell line, for showing a command that came as a list. */
function quoteArgv(argv: string[]): string {
  return argv.map((w) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`)).join(' ');
}
