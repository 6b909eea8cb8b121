/**
 * Reading the JSON-lines event streams of agent CLIs (Claude Code's stream-json, Codex's --json):
 * every event is one object with a string `type`; anything else on stdout (banners, blank lines,
 * a truncated line) is not an event and is skipped rather than failing the run.
 */

export type Json = Record<string, unknown>;

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses one line into a typed event; undefined for blank, malformed, non-object or untyped lines. */
export function parseTypedJsonLine(line: string): (Json & { type: string }) | undefined {
  const trimmed = line.trim();
  if (!trimmed.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(trimmed);
    return isObject(value) && typeof value.type === 'string' ? (value as Json & { type: string }) : undefined;
  } catch {
    return undefined;
  }
}
