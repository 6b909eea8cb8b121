/**
 * Codex's own tool names, translated to ours before a call reaches the approval gate, so the gate
 * reads one vocabulary (RunCommand, WriteFile, EditFile, WebSearch, `mcp__server__tool`) whatever
 * the driver. The translation lives with the driver that speaks it: a custom tool of another
 * agent that happens to be called `shell` is never mistaken for Codex's.
 *
 * app-server v2's approval requests are already built in our vocabulary (approvals.ts); this
 * covers calls that name a Codex tool itself: exec/shell/local_shell/exec_command/
 * command_execution, apply_patch/file_change, web_search and mcp_tool_call.
 */
import type { ToolCall } from '../contract.js';
import { isObject, type Json } from '../json-lines.js';
import { fileChangeTool, mcpToolName } from './events.js';

const COMMAND_TOOLS = new Set(['exec', 'shell', 'local_shell', 'exec_command', 'command_execution']);

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** The call in our vocabulary: Codex's tool names translated, anything else as it came. */
export function codexGateCall(call: ToolCall): ToolCall {
  const { callId, tool, input } = call;
  if (COMMAND_TOOLS.has(tool)) return { callId, tool: 'RunCommand', input: isObject(input.action) ? input.action : input }; // local_shell nests it
  if (tool === 'web_search') return { callId, tool: 'WebSearch', input };
  if (tool === 'mcp_tool_call') return { callId, tool: mcpToolName(input), input: isObject(input.arguments) ? input.arguments : {} };
  if (tool === 'apply_patch' || tool === 'file_change') {
    const changes = patchChanges(input);
    return { callId, tool: fileChangeTool(changes), input: { paths: changes.map((c) => c.path) } };
  }
  return call;
}

/** The files a Codex patch touches: `changes` as a list or a map by path, or the patch text itself. */
function patchChanges(input: Json): { path: string; kind: string }[] {
  if (Array.isArray(input.changes)) return input.changes.filter(isObject).map((c) => ({ path: str(c.path), kind: str(c.kind) }));
  if (isObject(input.changes)) return Object.entries(input.changes).map(([p, c]) => ({ path: p, kind: isObject(c) ? str(c.type) || str(c.kind) : '' }));
  const patch = str(input.input) || str(input.patch);
  const changes: { path: string; kind: string }[] = [];
  for (const m of patch.matchAll(/^\*\*\* (Add|Update|Delete) File: (.+)$|^\*\*\* Move to: (.+)$/gm)) {
    changes.push(m[3] !== undefined ? { path: m[3].trim(), kind: 'update' } : { path: m[2]!.trim(), kind: m[1]!.toLowerCase() });
  }
  return changes;
}
