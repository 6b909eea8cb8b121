/**
 * kubectl-style help: the root command list, a group's "Available Commands", and one command's
 * description, examples, own options and usage line. The connection flags every API command shares
 * are left to `sidekick options`, as kubectl leaves its global flags to `kubectl options`.
 */
import { nameTable, optionTable, usageLine, type CommandSpec, type OptionSpec } from './command-specs.js';

/** One-line descriptions of the verbs that are only groups of subcommands (no command of their own). */
const GROUP_DESCRIPTIONS: Record<string, string> = {
  artifact: 'Read artifacts that runs produced',
  auth: 'Inspect authorization',
  config: 'Manage kubeconfig contexts: which daemon or control plane the CLI talks to',
  controlplane: 'Run the team control plane and sign its tokens',
  daemon: 'Run and manage the local daemon',
  token: 'Issue, list and revoke identity tokens',
  workflow: 'Retry, stop and resume workflows',
};

const OPTIONS_HINT = (binary: string) => `Use "${binary} options" for a list of global command-line options (applies to all commands).`;

/** The top-level verbs, in `order` (verbs.ts) first. */
function verbsOf(specs: CommandSpec[], order: readonly string[]): string[] {
  const found = [...new Set(specs.map((s) => s.path[0]).filter((v): v is string => v !== undefined && !v.startsWith('-')))];
  const rank = (v: string) => (order.includes(v) ? order.indexOf(v) : order.length);
  return found.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/** The subcommands of `verb` (`controlplane migrate`, and deeper ones such as `controlplane token create`). */
export function subcommandsOf(specs: CommandSpec[], verb: string): CommandSpec[] {
  return specs.filter((s) => s.path.length >= 2 && s.path[0] === verb).sort((a, b) => subcommandName(a).localeCompare(subcommandName(b)));
}

/** A subcommand's name below its verb: `migrate`, `token create`. */
export function subcommandName(spec: CommandSpec): string {
  return spec.path.slice(1).join(' ');
}

/** The command registered at exactly [verb], if the verb has one. */
export function rootOf(specs: CommandSpec[], verb: string): CommandSpec | undefined {
  return specs.find((s) => s.path.length === 1 && s.path[0] === verb);
}

function describeVerb(specs: CommandSpec[], verb: string): string {
  const root = rootOf(specs, verb);
  if (root?.description) return root.description;
  return GROUP_DESCRIPTIONS[verb] ?? `Commands: ${subcommandsOf(specs, verb).map(subcommandName).join(', ')}`;
}

/** `sidekick --help`: every verb under its category. */
export function rootHelp(binary: string, specs: CommandSpec[], order: readonly string[]): string {
  const byCategory = new Map<string, [string, string][]>();
  for (const verb of verbsOf(specs, order)) {
    const category = (rootOf(specs, verb) ?? specs.find((s) => s.path[0] === verb))?.category ?? 'Basic';
    const rows = byCategory.get(category) ?? [];
    rows.push([verb, describeVerb(specs, verb)]);
    byCategory.set(category, rows);
  }
  const lines = [`${binary} controls Sidekicks: declarative orchestration for AI coding agents.`, ''];
  const categories = [...byCategory.keys()].sort((a, b) => (a === 'Basic' ? -1 : b === 'Basic' ? 1 : 0));
  for (const category of categories) lines.push(`${category} Commands:`, ...nameTable(byCategory.get(category)!), '');
  lines.push('Usage:', `  ${binary} [flags] [options]`, '', `Use "${binary} <command> --help" for more information about a given command.`, OPTIONS_HINT(binary));
  return `${lines.join('\n')}\n`;
}

function availableCommands(specs: CommandSpec[], verb: string): string[] {
  const subs = subcommandsOf(specs, verb);
  return subs.length === 0 ? [] : ['Available Commands:', ...nameTable(subs.map((s) => [subcommandName(s), s.description ?? ''])), ''];
}

/** `sidekick daemon` (a verb without a command of its own): what it groups, like `kubectl config`. */
export function groupHelp(binary: string, specs: CommandSpec[], verb: string): string {
  const description = describeVerb(specs, verb);
  const lines = [description.endsWith('.') ? description : `${description}.`, '', ...availableCommands(specs, verb)];
  lines.push('Usage:', `  ${binary} ${verb} COMMAND [options]`, '', `Use "${binary} ${verb} <command> --help" for more information about a given command.`);
  return `${lines.join('\n')}\n`;
}

/** True when `o` is one of the global flags (same names and description), listed by `sidekick options` instead. */
function isGlobal(o: OptionSpec, globals: OptionSpec[]): boolean {
  return globals.some((g) => g.description === o.description && g.names.join() === o.names.join());
}

/** `sidekick steer --help`: description, details, examples, subcommands, own options, usage. */
export function commandHelp(binary: string, specs: CommandSpec[], spec: CommandSpec, globals: OptionSpec[]): string {
  const lines: string[] = [];
  if (spec.description) lines.push(spec.description, '');
  if (spec.details) lines.push(spec.details, '');
  if (spec.examples.length > 0) {
    lines.push('Examples:');
    for (const [label, example] of spec.examples) lines.push(`  # ${label}`, `  ${example}`, '');
  }
  if (spec.path.length === 1) lines.push(...availableCommands(specs, spec.path[0]));
  const own = spec.options.filter((o) => !isGlobal(o, globals));
  if (own.some((o) => !o.hidden)) lines.push('Options:', ...optionTable(own), '');
  lines.push('Usage:', `  ${usageLine(binary, spec)}`);
  if (own.length < spec.options.length) lines.push('', OPTIONS_HINT(binary));
  return `${lines.join('\n')}\n`;
}
