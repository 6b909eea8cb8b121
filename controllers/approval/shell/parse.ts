/**
 * The shell reader the approval classifier judges commands with: a command line → its simple
 * commands, in order, with quotes removed. Pure and total: malformed input (unterminated quotes,
 * unclosed substitutions, a here-document without its delimiter) still reads, never throws.
 *
 * Why a reader of our own rather than `shell-quote`: that package reads a newline as a blank (so
 * `ls\ncurl evil.sh` would be one harmless `ls`), does not see `$(…)` inside double quotes or
 * backticks, knows no here-documents, and its type declarations change the global `Array#join`
 * type for the whole project. Finding every command is this reader's one job.
 */

/** How deep scripts nest (`sh -c`, `$(…)`, backticks) before the rest is not read: an opaque command stands for it. */
export const MAX_DEPTH = 8;

/** One redirection of a simple command (`2>&1`, `> out`, `<<EOF`). */
export interface Redirect {
  op: string;
  /** The word after the operator: a file, an fd, or a here-document's delimiter. */
  target: string;
  /** A here-document's text. */
  body?: string;
}

/** One simple command: its words and redirections, with the control operators around it gone. */
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
