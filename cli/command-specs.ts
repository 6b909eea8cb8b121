/**
 * What each registered command declares — its path, options (names, arity, required) and
 * positionals — read from clipanion's builders, so help, missing-argument errors and "did you
 * mean" suggestions work from the classes themselves instead of a second list that could drift.
 */
import { Cli, formatMarkdownish, type CommandClass, type Usage } from 'clipanion';
import type { CliContext } from './context.js';

/** One option as a command declares it. */
export interface OptionSpec {
  names: string[];
  /** 0 for a boolean flag, 1 for a flag that takes a value. */
  arity: number;
  required: boolean;
  hidden: boolean;
  description: string;
}

/** One registered command. */
export interface CommandSpec {
  commandClass: CommandClass<CliContext>;
  path: string[];
  category?: string;
  description?: string;
  details?: string;
  examples: [string, string][];
  options: OptionSpec[];
  /** Required positionals, in order (leading then trailing). */
  positionals: string[];
  /** Optional positionals after the required ones. */
  optionalPositionals: string[];
  /** True when the command takes any number of extra arguments (Option.Rest). */
  rest: boolean;
  /** How the command's arguments read in a usage line (the class's `synopsis`, else its positionals). */
  synopsis: string;
}

/**
 * The part of clipanion's CommandBuilder read here. WARNING: `registrations` is protected and the
 * builder's shape is clipanion 3's; cli/commands/help.test.ts fails if an upgrade changes either.
 */
interface Builder {
  arity: { leading: string[]; trailing: string[]; extra: string[] | symbol; proxy: boolean };
  options: { names: string[]; arity: number; required: boolean; hidden: boolean; description?: string }[];
  paths: string[][];
}

const plain = { header: (s: string) => s, bold: (s: string) => s, error: (s: string) => s, code: (s: string) => s };

function text(markdown: string | undefined, paragraphs: boolean): string | undefined {
  if (markdown === undefined) return undefined;
  // clipanion wraps at 80 columns and leaves the space it broke at on each line.
  return formatMarkdownish(markdown, { format: plain, paragraphs })
    .split('\n')
    .map((l) => l.trimEnd())
    .join('\n')
    .trimEnd();
}

/** The clipanion Cli that can list its commands' declarations. */
export class SidekickCli extends Cli<CliContext> {
  /** Every registered command (help included, which has no usage), in registration order. */
  specs(): CommandSpec[] {
    const specs: CommandSpec[] = [];
    for (const [commandClass, { builder }] of this.registrations) {
      const b = builder as unknown as Builder;
      const usage: Usage | undefined = commandClass.usage;
      if (!usage) continue;
      const rest = !Array.isArray(b.arity.extra);
      const positionals = [...b.arity.leading, ...b.arity.trailing];
      const optionalPositionals = Array.isArray(b.arity.extra) ? b.arity.extra : [];
      const declared = (commandClass as { synopsis?: string }).synopsis;
      const synopsis = declared ?? [...positionals, ...optionalPositionals.map((p) => `[${p}]`), ...(rest ? ['[ARG...]'] : [])].join(' ');
      specs.push({
        commandClass,
        path: b.paths[0] ?? [],
        category: usage.category,
        description: text(usage.description, false),
        details: text(usage.details, true),
        examples: (usage.examples ?? []).map(([label, line]) => [text(label, false) ?? '', line]),
        options: b.options.map((o) => ({ names: o.names, arity: o.arity, required: o.required, hidden: o.hidden, description: o.description ?? '' })),
        positionals,
        optionalPositionals,
        rest,
        synopsis,
      });
    }
    return specs;
  }
}

/** The command whose path is the longest prefix of `words`, if any. */
export function commandFor(specs: CommandSpec[], words: string[]): CommandSpec | undefined {
  let best: CommandSpec | undefined;
  for (const s of specs) {
    if (s.path.length > words.length || !s.path.every((p, i) => words[i] === p)) continue;
    if (!best || s.path.length > best.path.length) best = s;
  }
  return best;
}

/**
 * The words of argv that are not flags or flag values (the command path, then positionals), with
 * the value flags of `options` consuming the word after them.
 */
export function positionalWords(argv: string[], options: OptionSpec[] = []): string[] {
  const takesValue = new Set(options.filter((o) => o.arity > 0).flatMap((o) => o.names));
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      words.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('-') && a !== '-') {
      // `-n default` consumes the next word; `-n=default`, `--namespace=x` and bundles like `-oyaml` do not.
      if (!a.includes('=') && takesValue.has(a)) i++;
      continue;
    }
    words.push(a);
  }
  return words;
}

/** How an option reads in a usage line: `-m MESSAGE`, `--as AS`, `-f`. */
export function optionUsage(o: OptionSpec): string {
  const name = o.names.find((n) => n.startsWith('-') && !n.startsWith('--')) ?? o.names[0];
  if (o.arity === 0) return name;
  const long = o.names.find((n) => n.startsWith('--')) ?? name;
  return `${name} ${long.replace(/^-+/, '').toUpperCase().replace(/-/g, '_')}`;
}

/** The one-line usage of a command: path, required options, arguments, `[options]`. */
export function usageLine(binary: string, spec: CommandSpec): string {
  const required = spec.options.filter((o) => o.required).map(optionUsage);
  const optional = spec.options.some((o) => !o.required && !o.hidden);
  return [binary, ...spec.path, spec.synopsis, ...required, optional ? '[options]' : ''].filter(Boolean).join(' ');
}

/** How an option reads in an option table: `-m, --message string`, `    --all`. */
function optionLabel(o: OptionSpec): string {
  const short = o.names.filter((n) => !n.startsWith('--'));
  const long = o.names.filter((n) => n.startsWith('--'));
  const names = [...short, ...long].join(', ');
  // cobra's (kubectl's) style: the value's type after the names.
  const value = o.arity > 0 ? ' string' : '';
  return `${short.length === 0 ? '    ' : ''}${names}${value}`;
}

/** The options as an aligned two-column table, one per line, indented by two spaces. */
export function optionTable(options: OptionSpec[]): string[] {
  const shown = options.filter((o) => !o.hidden);
  const labels = shown.map(optionLabel);
  const width = Math.max(0, ...labels.map((l) => l.length));
  return shown.map((o, i) => `  ${labels[i].padEnd(width)}   ${o.description}${o.required ? ' (required)' : ''}`.trimEnd());
}

/** A two-column list (`name   description`), indented by two spaces. */
export function nameTable(rows: [string, string][]): string[] {
  const width = Math.max(0, ...rows.map(([n]) => n.length));
  return rows.map(([n, d]) => `  ${n.padEnd(width)}   ${d}`.trimEnd());
}
