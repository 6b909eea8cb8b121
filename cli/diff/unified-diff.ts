/**
 * A unified diff of two texts (what `diff -u` prints), used by `sidekick diff` when no diff binary
 * is installed. Line-based LCS; manifests are small, so the quadratic table is fine.
 */

/** One `diff -u`-style file diff, or '' when the texts are equal. */
export function unifiedDiff(oldText: string, newText: string, oldLabel: string, newLabel: string, context = 3): string {
  if (oldText === newText) return '';
  const a = oldText === '' ? [] : oldText.replace(/\n$/, '').split('\n');
  const b = newText === '' ? [] : newText.replace(/\n$/, '').split('\n');
  const ops = lineOps(a, b);
  const hunks: string[] = [];
  let i = 0;
  while (i < ops.length) {
    while (i < ops.length && ops[i].kind === ' ') i++;
    if (i >= ops.length) break;
    const start = Math.max(0, i - context);
    let end = i;
    // Extend the hunk while changes are within 2*context lines of each other.
    for (let j = i; j < ops.length; j++) {
      if (ops[j].kind !== ' ') end = j;
      else if (j - end > 2 * context) break;
    }
    const stop = Math.min(ops.length, end + context + 1);
    const slice = ops.slice(start, stop);
    const aStart = slice.find((o) => o.kind !== '+')?.aIndex ?? ops[start].aIndex;
    const bStart = slice.find((o) => o.kind !== '-')?.bIndex ?? ops[start].bIndex;
    const aLen = slice.filter((o) => o.kind !== '+').length;
    const bLen = slice.filter((o) => o.kind !== '-').length;
    hunks.push(`@@ -${range(aStart, aLen)} +${range(bStart, bLen)} @@\n${slice.map((o) => `${o.kind}${o.text}\n`).join('')}`);
    i = stop;
  }
  return `--- ${oldLabel}\n+++ ${newLabel}\n${hunks.join('')}`;
}

function range(start: number, len: number): string {
  const first = len === 0 ? start : start + 1;
  return len === 1 ? `${first}` : `${first},${len}`;
}

interface Op {
  kind: ' ' | '-' | '+';
  text: string;
  aIndex: number;
  bIndex: number;
}

function lineOps(a: string[], b: string[]): Op[] {
  const n = a.length;
  const m = b.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let x = n - 1; x >= 0; x--) for (let y = m - 1; y >= 0; y--) lcs[x][y] = a[x] === b[y] ? lcs[x + 1][y + 1] + 1 : Math.max(lcs[x + 1][y], lcs[x][y + 1]);
  const ops: Op[] = [];
  let x = 0;
  let y = 0;
  while (x < n || y < m) {
    if (x < n && y < m && a[x] === b[y]) ops.push({ kind: ' ', text: a[x], aIndex: x++, bIndex: y++ });
    else if (y < m && (x >= n || lcs[x][y + 1] >= lcs[x + 1][y])) ops.push({ kind: '+', text: b[y], aIndex: x, bIndex: y++ });
    else ops.push({ kind: '-', text: a[x], aIndex: x++, bIndex: y });
  }
  return ops;
}
