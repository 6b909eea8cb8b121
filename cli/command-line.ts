/**
 * What runCli answers about the command line itself, in kubectl's words: help (`--help`, a bare
 * group such as `sidekick daemon`), unknown verbs and subcommands with "Did you mean this?", and,
 * when clipanion cannot parse the arguments, which flag is unknown or which argument or required
 * flag is missing — instead of clipanion's "Command not found; did you mean:" with no candidates.
 */
import type { CommandSpec, OptionSpec } from './command-specs.js';
import { commandFor, positionalWords, usageLine } from './command-specs.js';
import { unknownCommandMessage } from './did-you-mean.js';
import { commandHelp, groupHelp, rootHelp, rootOf, subcommandsOf } from './help.js';

/** A complete answer: text for one stream and the exit code. */
export interface Answer {
  stream: 'stdout' | 'stderr';
  text: string;
  code: number;
}

/** What the answers need: the binary name, every loaded command, the verbs in help order, the global flags. */
export interface CommandLine {
  binary: string;
  specs: CommandSpec[];
  verbs: readonly string[];
  globals: OptionSpec[];
}

/** argv up to `--` (flags after it are arguments). */
function head(argv: string[]): string[] {
  const cut = argv.indexOf('--');
  return cut < 0 ? argv : argv.slice(0, cut);
}

/** The options of every command of `verb` (a flag means the same in all of them). */
function optionsOfVerb(specs: CommandSpec[], verb: string | undefined): OptionSpec[] {
  return specs.filter((s) => s.path[0] === verb).flatMap((s) => s.options);
}

/** The first word that is not a flag, a global flag's value (`-n team get`) included. */
function verbOf(line: CommandLine, argv: string[]): string | undefined {
  return positionalWords(argv, line.globals)[0];
}

function stdout(text: string): Answer {
  return { stream: 'stdout', text, code: 0 };
}

function failure(text: string): Answer {
  return { stream: 'stderr', text, code: 1 };
}

/** Help, bare groups and unknown verbs or subcommands; undefined when clipanion should parse argv. */
export function answerBeforeParse(line: CommandLine, argv: string[]): Answer | undefined {
  const { binary, specs, globals } = line;
  // `sidekick help get` is `sidekick get --help`, as with kubectl.
  if (argv[0] === 'help') return answerBeforeParse(line, [...argv.slice(1), '--help']);
  const wantsHelp = head(argv).some((a) => a === '-h' || a === '--help');
  const verb = verbOf(line, argv);
  if (argv.length === 0 || (verb === undefined && wantsHelp)) return stdout(rootHelp(binary, specs, line.verbs));
  if (verb === undefined) return undefined;
  const known = specs.some((s) => s.path[0] === verb);
  if (!known) {
    const verbs = [...new Set(specs.map((s) => s.path[0]).filter((v) => v && !v.startsWith('-')))];
    return failure(unknownCommandMessage(verb, binary, verbs));
  }
  const words = positionalWords(argv, optionsOfVerb(specs, verb));
  const spec = commandFor(specs, words);
  const subs = subcommandsOf(specs, verb);
  if (subs.length > 0 && (spec === undefined || spec.path.length === 1)) {
    const root = rootOf(specs, verb);
    if (words.length === 1 && wantsHelp) return stdout(root ? commandHelp(binary, specs, root, globals) : groupHelp(binary, specs, verb));
    // A bare group prints what it groups and succeeds, as `kubectl config` does; so does a verb
    // whose own command needs an argument (`sidekick timeline`).
    if (words.length === 1 && !root) return stdout(groupHelp(binary, specs, verb));
    if (words.length === 1 && root && root.positionals.length > 0) return stdout(commandHelp(binary, specs, root, globals));
    const takesArgs = root && (root.positionals.length > 0 || root.optionalPositionals.length > 0 || root.rest);
    // A word that only groups deeper commands (`controlplane token`) lists what it groups.
    if (words.length === 2 && subs.some((s) => s.path.length > 2 && s.path[1] === words[1])) return stdout(groupHelp(binary, specs, verb));
    if (words.length > 1 && !takesArgs) {
      return failure(`${unknownCommandMessage(words[1], `${binary} ${verb}`, [...new Set(subs.map((s) => s.path[1]))])}\n\nRun '${binary} ${verb} --help' for usage.`);
    }
  }
  if (wantsHelp && spec) return stdout(commandHelp(binary, specs, spec, globals));
  return undefined;
}

/** cobra's `flag needs an argument` when argv ends with a flag that takes a value (`get runs -o`). */
export function missingFlagValue(line: CommandLine, argv: string[]): string | undefined {
  const last = head(argv).at(-1);
  const spec = commandFor(line.specs, positionalWords(argv, optionsOfVerb(line.specs, verbOf(line, argv))));
  if (!last || !spec || head(argv).length !== argv.length) return undefined;
  if (!spec.options.some((o) => o.arity > 0 && o.names.includes(last))) return undefined;
  return last.startsWith('--') ? `error: flag needs an argument: ${last}` : `error: flag needs an argument: '${last.slice(1)}' in ${last}`;
}

/** True when argv sets the option (`-m x`, `-m=x`, `-mx`, `--message x`, `--message=x`). */
function isSet(argv: string[], o: OptionSpec): boolean {
  return head(argv).some((a) => o.names.some((n) => a === n || a.startsWith(`${n}=`) || (!n.startsWith('--') && a.startsWith(n) && !a.startsWith('--'))));
}

/**
 * Why argv does not fit the command it names: a missing argument (with the usage line), then
 * required flags that are not set (cobra's `required flag(s) "message" not set`), then too many
 * arguments. Undefined when it fits (clipanion failed for another reason).
 */
export function missingArguments(line: CommandLine, argv: string[]): string | undefined {
  const { binary, specs } = line;
  const words = positionalWords(argv, optionsOfVerb(specs, verbOf(line, argv)));
  const spec = commandFor(specs, words);
  if (!spec) return undefined;
  const given = words.slice(spec.path.length);
  const name = spec.path.join(' ');
  if (given.length < spec.positionals.length) {
    return `error: ${name} needs ${spec.positionals.slice(given.length).join(' ')}: ${usageLine(binary, spec)}`;
  }
  const unset = spec.options.filter((o) => o.required && !isSet(argv, o));
  if (unset.length > 0) {
    const names = unset.map((o) => `"${(o.names.find((n) => n.startsWith('--')) ?? o.names[0]).replace(/^-+/, '')}"`);
    return `error: required flag(s) ${names.join(', ')} not set`;
  }
  const most = spec.positionals.length + spec.optionalPositionals.length;
  if (!spec.rest && given.length > most) {
    return `error: ${name} accepts ${most} arg(s), received ${given.length}: ${usageLine(binary, spec)}`;
  }
  return undefined;
}

/** kubectl's wording for an unknown flag in argv (`unknown flag: --bogus`), when there is one. */
export function unknownFlag(line: CommandLine, argv: string[]): string | undefined {
  const spec = commandFor(line.specs, positionalWords(argv, optionsOfVerb(line.specs, verbOf(line, argv))));
  if (!spec) return undefined;
  const names = new Set(['-h', '--help']);
  for (const o of spec.options) for (const n of o.names) names.add(n);
  const flag = head(argv).find((a) => {
    if (!a.startsWith('-') || a === '-') return false;
    const name = a.replace(/=.*$/, '');
    if (names.has(name)) return false;
    if (name.startsWith('--no-') && names.has(`--${name.slice(5)}`)) return false;
    // Bundled short flags such as -oyaml or -Aw: accept when the first letter is known.
    return !(name.length > 2 && !name.startsWith('--') && names.has(name.slice(0, 2)));
  });
  if (!flag) return undefined;
  return flag.startsWith('--') ? `error: unknown flag: ${flag.replace(/=.*$/, '')}` : `error: unknown shorthand flag: '${flag.slice(1, 2)}' in ${flag}`;
}
