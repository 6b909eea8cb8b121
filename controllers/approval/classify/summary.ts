/** How requests are shown to people: one-line summaries of a tool call. */

/** The first line, at most `max` characters; an ellipsis says something was cut. */
export function oneLine(text: string, max = 120): string {
  const trimmed = text.trim();
  const line = trimmed.split('\n')[0]!;
  const cut = line.length > max ? `${line.slice(0, max - 1)}…` : line;
  return cut !== trimmed && !cut.endsWith('…') ? `${cut} …` : cut;
}

/** A short rendering of a tool's input for summaries: its path, url or command when it has one. */
export function describe(input: Record<string, unknown>): string {
  const text = ['path', 'url', 'command', 'pattern', 'query'].map((k) => input[k]).find((v): v is string => typeof v === 'string');
  if (text !== undefined) return text;
  const json = JSON.stringify(input);
  return json === '{}' ? '' : json;
}
