/**
 * runCli: the whole CLI as a function of argv and streams, so tests run it in-process. Commands
 * are registered up front (clipanion needs their classes) but every heavy dependency is imported
 * inside the command that uses it, which keeps `sidekick get runs` close to kubectl's start-up.
 */
import type { Readable, Writable } from 'node:stream';
import { UsageError } from 'clipanion';
import type { CliContext } from './context.js';
import { SidekickCommand } from './base-command.js';
import { ExitCodeError, PrintedError, formatError } from './errors.js';
import { loadCommands } from './command-list.js';
import { SidekickCli } from './command-specs.js';
import { answerBeforeParse, missingArguments, missingFlagValue, unknownFlag, type CommandLine } from './command-line.js';
import { verbs } from './verbs.js';

/** The binary name used in messages and completion scripts. */
export const BINARY = 'sidekick';
export { CLI_VERSION } from './version.js';
import { CLI_VERSION } from './version.js';

/** What runCli needs from the world; everything but the output streams has a default. */
export interface RunContext {
  stdout: Writable;
  stderr: Writable;
  stdin?: Readable;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Aborts long-running commands (watches, daemon run). */
  signal?: AbortSignal;
}

/**
 * Builds the clipanion CLI with the commands of `verb` registered (all of them when it is not a
 * verb). Help is ours (./help.ts), printed before clipanion parses, so no help command is registered.
 */
export async function buildCli(verb?: string): Promise<SidekickCli> {
  const cli = new SidekickCli({ binaryName: BINARY, binaryLabel: 'Sidekicks', binaryVersion: CLI_VERSION, enableColors: false });
  for (const command of await loadCommands(verb)) cli.register(command);
  return cli;
}

/** What the command-line answers need from the built CLI. */
async function commandLine(cli: SidekickCli): Promise<CommandLine> {
  const { globalOptions } = await import('./commands/options.js');
  return { binary: BINARY, specs: cli.specs(), verbs, globals: globalOptions() };
}

/** Runs the CLI with `argv` (without the node and script paths); resolves with the exit code. */
export async function runCli(argv: string[], ctx: RunContext): Promise<number> {
  const cli = await buildCli(argv[0]);
  const context: CliContext = {
    stdout: ctx.stdout,
    stderr: ctx.stderr,
    stdin: ctx.stdin ?? process.stdin,
    env: ctx.env ?? process.env,
    colorDepth: 1,
    cwd: ctx.cwd ?? process.cwd(),
    signal: ctx.signal ?? new AbortController().signal,
  };
  const line = await commandLine(cli);
  const answer = answerBeforeParse(line, argv);
  if (answer) {
    ctx[answer.stream].write(answer.text.endsWith('\n') ? answer.text : `${answer.text}\n`);
    return answer.code;
  }
  let command;
  try {
    command = cli.process(normalizeBooleanFlags(cli, argv), context);
  } catch (err) {
    ctx.stderr.write(`${processError(line, argv, err)}\n`);
    return 1;
  }
  let code: number;
  try {
    code = await cli.run(command, context);
  } finally {
    if (command instanceof SidekickCommand) command.cleanup();
  }
  if (command instanceof SidekickCommand && command.failure !== undefined) {
    const failure = command.failure;
    if (failure instanceof ExitCodeError) return failure.exitCode;
    ctx.stderr.write(`${formatError(failure)}\n`);
    if (context.env.SIDEKICK_DEBUG && failure instanceof Error && !(failure instanceof UsageError)) ctx.stderr.write(`${failure.stack}\n`);
    return failure instanceof PrintedError ? failure.exitCode : 1;
  }
  return code;
}

/** kubectl's wording for what clipanion could not parse. */
function processError(line: CommandLine, argv: string[], err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const explained = unknownFlag(line, argv) ?? missingFlagValue(line, argv) ?? missingArguments(line, argv);
  if (explained) return explained;
  const unsupported = /Unsupported option name \("([^"]+)"\)/.exec(message);
  if (unsupported) {
    const flag = unsupported[1];
    return flag.startsWith('--') ? `error: unknown flag: ${flag}` : `error: unknown shorthand flag: '${flag.slice(1)}' in ${flag}`;
  }
  const firstLine = message.split('\n').find((l) => l.trim()) ?? message;
  return `error: ${firstLine.replace(/^(Usage Error|Error): /, '')}`;
}

/**
 * Rewrites kubectl's `--flag=true|false` for boolean flags (`--wait=false`) into the `--flag` /
 * `--no-flag` forms clipanion parses; string flags keep their values untouched.
 */
function normalizeBooleanFlags(cli: SidekickCli, argv: string[]): string[] {
  const booleans = new Set<string>();
  for (const def of cli.definitions()) {
    for (const o of def.options) if (!o.definition.includes('#')) for (const n of o.definition.split(/[ ,]/)) if (n.startsWith('--')) booleans.add(n);
  }
  return argv.map((arg) => {
    const m = /^(--[^=]+)=(true|false)$/.exec(arg);
    if (!m || !booleans.has(m[1])) return arg;
    return m[2] === 'true' ? m[1] : `--no-${m[1].slice(2)}`;
  });
}
