/**
 * "Did you mean" suggestions for mistyped verbs and subcommands, as cobra (kubectl) makes them:
 * candidates within an edit distance of 2, or that start with what was typed.
 */

/** Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** The candidates `typed` may have meant, closest first (cobra's minimum distance is 2). */
export function suggestionsFor(typed: string, candidates: readonly string[], maxDistance = 2): string[] {
  const word = typed.toLowerCase();
  return candidates
    .map((c) => ({ c, distance: editDistance(word, c.toLowerCase()) }))
    .filter(({ c, distance }) => distance <= maxDistance || (word.length > 0 && c.toLowerCase().startsWith(word)))
    .sort((x, y) => x.distance - y.distance || x.c.localeCompare(y.c))
    .map(({ c }) => c);
}

/** kubectl's unknown-command message, with its "Did you mean this?" block when there are suggestions. */
export function unknownCommandMessage(typed: string, parent: string, candidates: readonly string[]): string {
  const head = `error: unknown command "${typed}" for "${parent}"`;
  const suggestions = suggestionsFor(typed, candidates);
  return suggestions.length === 0 ? head : `${head}\n\nDid you mean this?\n${suggestions.map((s) => `\t${s}`).join('\n')}`;
}
