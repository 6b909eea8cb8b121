/**
 * Reading a command's arguments, getopt-style and best effort: its options, their values, its
 * operands and its subcommand — without knowing the program beyond the options it is told take
 * a value. Also the inverse for display: an argv quoted back into a shell line.
 */

/** A set of option names, for the `valued` parameters below. */
export const set = (...xs: string[]): ReadonlySet<string> => new Set(xs);
/** No option takes a value. */
export const NONE = set();

/** Arguments after the leading options (and the values of those in `valued`). */
export function afterOptions(args: string[], valued: ReadonlySet<string> = NONE): string[] {
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
export function operands(args: string[], valued: ReadonlySet<string> = NONE): string[] {
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
export function optionValues(args: string[], names: string[]): string[] {
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
export function hasFlag(args: string[], longs: string[], letters = ''): boolean {
  for (const a of args) {
    if (a === '--') return false;
    if (longs.some((l) => a === l || a.startsWith(`${l}=`))) return true;
    if (letters && /^-[a-zA-Z0-9]+$/.test(a) && [...a.slice(1)].some((c) => letters.includes(c))) return true;
  }
  return false;
}

/** The first operand, for tools whose first operand names the subcommand. */
export function subcommand(args: string[], valued: ReadonlySet<string> = NONE): { sub: string | undefined; rest: string[] } {
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
/** Quotes an argv as a shell line, for showing a command that came as a list. */
export function quoteArgv(argv: string[]): string {
  return argv.map((w) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`)).join(' ');
}
