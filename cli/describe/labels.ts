/**
 * Field labels as kubectl's describe prints them for custom resources: camelCase split into Title
 * Case words, common acronyms kept upper-case (`apiVersion` → `API Version`, `costUSD` → `Cost USD`).
 */

const ACRONYMS = new Set(['API', 'URL', 'UID', 'OSB', 'GUID']);

/** Splits like github.com/fatih/camelcase: on lower→upper and letter-case transitions, keeping acronyms together. */
export function splitCamelCase(s: string): string[] {
  const runs: string[] = [];
  let kind = -1;
  for (const ch of s) {
    const k = /[a-z]/.test(ch) ? 1 : /[A-Z]/.test(ch) ? 2 : /[0-9]/.test(ch) ? 3 : 4;
    if (k === kind) runs[runs.length - 1] += ch;
    else runs.push(ch);
    kind = k;
  }
  // An upper-case run followed by a lower-case run gives its last letter to the lower run: "URLPath" → "URL", "Path".
  for (let i = 0; i < runs.length - 1; i++) {
    if (/^[A-Z]+$/.test(runs[i]) && /^[a-z]/.test(runs[i + 1])) {
      runs[i + 1] = runs[i].slice(-1) + runs[i + 1];
      runs[i] = runs[i].slice(0, -1);
    }
  }
  return runs.filter(Boolean);
}

/** kubectl's smartLabelFor. */
export function smartLabelFor(field: string): string {
  if ([...field].some((c) => !/\p{L}/u.test(c) && c !== '-')) return field;
  return splitCamelCase(field)
    .filter((p) => p !== '_')
    .map((p) => (ACRONYMS.has(p.toUpperCase()) ? p.toUpperCase() : p.charAt(0).toUpperCase() + p.slice(1)))
    .join(' ');
}
