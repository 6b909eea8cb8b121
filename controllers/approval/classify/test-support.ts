/**
 * Test support for the classifier's tests (not used by production code): one tool call, or one
 * RunCommand line, classified as if the workspace were ROOT.
 */
import { classifyToolCall, type Classification } from '../classify.js';

/** The workspace the calls are classified against. */
export const ROOT = '/work/ws';

/** Classifies a call of `name` with `input`. */
export function tool(name: string, input: Record<string, unknown>, workspace = ROOT): Classification {
  return classifyToolCall({ tool: name, input }, { workspace });
}

/** Classifies a RunCommand of `line`. */
export const command = (line: string, workspace = ROOT): Classification => tool('RunCommand', { command: line }, workspace);

/** The categories a RunCommand of `line` falls in. */
export const categories = (line: string): string[] => command(line).categories;
