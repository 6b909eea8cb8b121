/**
 * Approval rules for commands: RunCommand is always ToolExecution, plus NetworkAccess
 * (network.ts, git.ts), DestructiveGit (git.ts) and FileWrite (writes.ts) for what any part of the
 * line does: `a && b; c | d`, scripts given to shells (`sh -c`, `bash -lc`, `eval`, here-documents),
 * `$(…)`, backticks, `<(…)`, and past `FOO=1`, sudo, env, command, exec, time, nohup, nice,
 * timeout, xargs (wrappers.ts) and `find -exec`.
 *
 * WARNING: this is a classifier, not a sandbox. What a command hides stays plain ToolExecution:
 * scripts it runs (`npm run x`, `make`, `./deploy.sh`, `python -c`, awk's own redirections),
 * builds that may fetch (`cargo build`, `go build`, `docker build`, `uv run`), git aliases,
 * commands named through variables (`$CURL`), operands read from stdin (`xargs rm`), the commands
 * an ssh runs remotely. Paths through variables other than HOME and PWD count as inside, and so
 * does a `cd` through one. The reader keeps no subshell scopes, so a relative path counts as
 * outside when it is outside from any directory the line has `cd`-ed to: it can over-report only.
 */
import { ApprovalCategory } from '../../../resources/kinds/common.js';
import { operands, quoteArgv } from '../shell/argv.js';
import { MAX_DEPTH, parseShell, type SimpleCommand } from '../shell/parse.js';
import type { ApprovalRequest, Classification } from './types.js';
import { destructiveGit, gitNetwork } from './git.js';
import { networkUse, type NetworkUse } from './network.js';
import { oneLine } from './summary.js';
import { commandName, effectiveArgv, innermostScript, nestedScript } from './wrappers.js';
import { changeDir, globalInstall, outsidePath, WRITE_REDIRECTS, writeTargets, type OutsideWrite } from './writes.js';

/** RunCommand: always ToolExecution, plus what any part of the line does; the request names a single url or path only. */
export function classifyCommand(input: Record<string, unknown>, root: string | undefined): Classification {
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
    const net = name === 'git' ? gitNetwork(args) : networkUse(name, args);
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


function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
