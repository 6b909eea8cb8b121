/**
 * A port of Go's text/tabwriter (with kubectl's RememberWidths extension): cells are
 * tab-terminated, contiguous lines with a cell in the same column form a column block, and each
 * block is as wide as its widest cell plus padding. kubectl prints tables with
 * (minwidth 6, padding 3) and describe output with (minwidth 0, padding 2); matching the
 * algorithm, not approximating it, is what makes our output line up exactly like theirs.
 */

/** Layout parameters, as Go's tabwriter.NewWriter takes them (pad character is always a space). */
export interface TabWriterOptions {
  minWidth: number;
  padding: number;
  /** Keep column widths across flushes, only ever growing them (kubectl's watch output). */
  rememberWidths?: boolean;
}

/** kubectl's table layout: `get`, `api-resources`, `events`. */
export const TABLE_LAYOUT: TabWriterOptions = { minWidth: 6, padding: 3 };
/** kubectl's describe layout. */
export const DESCRIBE_LAYOUT: TabWriterOptions = { minWidth: 0, padding: 2 };

/** Buffers text and aligns it on {@link flush}. */
export class TabWriter {
  private buffer = '';
  private maxWidths: number[] = [];

  constructor(private readonly opts: TabWriterOptions) {}

  /** Appends text; `\t` ends a cell, `\n` ends a line. */
  write(text: string): void {
    this.buffer += text;
  }

  /** Aligns and returns everything written since the last flush. */
  flush(): string {
    const text = this.buffer;
    this.buffer = '';
    if (!text) return '';
    const endsWithNewline = text.endsWith('\n');
    const lines = (endsWithNewline ? text.slice(0, -1) : text).split('\n').map((l) => l.split('\t'));
    const out: string[] = [];
    const widths: number[] = [];
    this.format(lines, 0, lines.length, widths, out);
    return out.join('\n') + (endsWithNewline ? '\n' : '');
  }

  private format(lines: string[][], line0: number, line1: number, widths: number[], out: string[]): void {
    const column = widths.length;
    for (let i = line0; i < line1; i++) {
      if (column >= lines[i].length - 1) continue;
      this.writeLines(lines, line0, i, widths, out);
      line0 = i;
      let width = this.opts.minWidth;
      for (; i < line1; i++) {
        if (column >= lines[i].length - 1) break;
        const w = textWidth(lines[i][column]) + this.opts.padding;
        if (w > width) width = w;
      }
      if (this.opts.rememberWidths) {
        if (this.maxWidths.length <= column) this.maxWidths[column] = width;
        else if (width < this.maxWidths[column]) width = this.maxWidths[column];
        else this.maxWidths[column] = width;
      }
      widths.push(width);
      this.format(lines, line0, i, widths, out);
      widths.pop();
      line0 = i;
      i--;
    }
    this.writeLines(lines, line0, line1, widths, out);
  }

  private writeLines(lines: string[][], from: number, to: number, widths: number[], out: string[]): void {
    for (let i = from; i < to; i++) {
      let s = '';
      lines[i].forEach((cell, j) => {
        s += cell;
        if (j < widths.length && j < lines[i].length - 1) s += ' '.repeat(Math.max(0, widths[j] - textWidth(cell)));
      });
      out.push(s);
    }
  }
}

/** Width in characters (code points), as Go's tabwriter counts UTF-8 runes. */
function textWidth(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** Aligns rows of cells in one go (each row becomes `cell\tcell\t...cell\n`). */
export function alignRows(rows: string[][], opts: TabWriterOptions = TABLE_LAYOUT): string {
  const w = new TabWriter(opts);
  for (const row of rows) w.write(`${row.join('\t')}\n`);
  return w.flush();
}
