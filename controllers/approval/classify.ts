/**
 * Classifies a tool call into what it needs approved (DOMAIN.md, Approvals): the categories that
 * apply and the request people are shown. Pure: no I/O — paths are judged lexically against the
 * workspace root, commands by reading them with the shell reader (shell/parse.ts). The rules live
 * by concern in classify/: commands.ts (RunCommand), network.ts, git.ts, writes.ts (and WriteFile/
 * EditFile); this module composes them.
 *
 * Vocabularies: our tools (RunCommand, ReadFile, WriteFile, EditFile, ListFiles) for every driver;
 * Claude Code's names through `normalizeClaudeTool` for the Claude driver; Codex's (exec/shell,
 * apply_patch/file_change, web_search, mcp_tool_call) for the Codex driver. Vocabularies are read
 * per driver, so a custom tool of one agent is never mistaken for another CLI's built-in. A tool
 * we do not know is ToolExecution: asking is the safe answer.
 *
 * Tools:
 * - Reads (ReadFile, ListFiles, Read, Glob, Grep, …) need nothing, wherever they point; so does
 *   bookkeeping (TodoWrite; Task, whose sub-agent's calls come through here themselves).
 * - WriteFile/EditFile need nothing inside the workspace (its files are the run's own) and
 *   FileWrite outside it; a call with no readable path asks FileWrite (fail closed).
 * - WebFetch/WebSearch: NetworkAccess. ExitPlanMode: PlanApproval, the plan as details.
 *   AskUserQuestion: UserInput. MCP tools: ToolExecution. McpElicitation is never a tool call: an
 *   MCP server's `elicitation/create` reaches the gate another way.
 * - RunCommand: ToolExecution plus whatever its line does (classify/commands.ts).
 */
import path from 'node:path';
import type { Static } from '@sinclair/typebox';
import type { ApprovalRequest as ApprovalRequestSchema } from '../../resources/kinds/approval.js';
import { ApprovalCategory, Driver } from '../../resources/kinds/common.js';
import { normalizeClaudeTool } from '../../node/drivers/claude/stream.js';
import { fileChangeTool, mcpToolName } from '../../node/drivers/codex/events.js';
import { classifyCommand } from './classify/commands.js';
import { describe, oneLine } from './classify/summary.js';
import { classifyFileChange } from './classify/writes.js';

export { singleCommand } from './classify/commands.js';
export { hostOf } from './classify/network.js';
export { parseShell, type Redirect, type SimpleCommand } from './shell/parse.js';

export type ApprovalRequest = Static<typeof ApprovalRequestSchema>;

export interface ToolCallInput {
  tool: string;
  input: Record<string, unknown>;
}

export interface ClassifyContext {
  /** The run's workspace root, absolute. Anything else makes every write count as outside. */
  workspace: string;
  /** The agent's driver (Driver), which says whose tool names the call uses. */
  driver: string;
}

export interface Classification {
  /** The tool in our vocabulary (RunCommand for Bash and Codex's exec). */
  tool: string;
  /** What needs approving; empty when the call may simply run. */
  categories: ApprovalCategory[];
  request: ApprovalRequest;
}

/** Classifies one tool call: the categories that need approval and the request to show. */
export function classifyToolCall(call: ToolCallInput, ctx: ClassifyContext): Classification {
  const { tool, input } = normalizeCall(call, ctx.driver);
  const root = path.isAbsolute(ctx.workspace) ? path.resolve(ctx.workspace) : undefined;
  if (tool === 'RunCommand') return classifyCommand(input, root);
  if (tool === 'WriteFile' || tool === 'EditFile') return classifyFileChange(tool, input, root);
  if (NEEDS_NOTHING.has(tool)) return { tool, categories: [], request: { tool, summary: oneLine(`${tool} ${describe(input)}`) } };
  switch (tool) {
    case 'WebFetch': {
      const url = str(input.url);
      return { tool, categories: [ApprovalCategory.NetworkAccess], request: { tool, ...(url ? { url } : {}), summary: oneLine(`fetch ${url || '(no url)'}`), ...(str(input.prompt) ? { details: str(input.prompt) } : {}) } };
    }
    case 'WebSearch':
      return { tool, categories: [ApprovalCategory.NetworkAccess], request: { tool, summary: oneLine(`web search: ${str(input.query)}`) } };
    case 'ExitPlanMode': {
      const plan = str(input.plan);
      return { tool, categories: [ApprovalCategory.PlanApproval], request: { tool, summary: oneLine(`plan: ${plan || '(empty)'}`), ...(plan ? { details: plan } : {}) } };
    }
    case 'AskUserQuestion': {
      const questions = Array.isArray(input.questions) ? input.questions.map((q) => (isRecord(q) ? str(q.question) : '')).filter(Boolean) : [];
      const text = questions.join('\n') || str(input.question);
      return { tool, categories: [ApprovalCategory.UserInput], request: { tool, summary: oneLine(text || 'a question'), ...(text ? { details: text } : {}) } };
    }
    default:
      return { tool, categories: [ApprovalCategory.ToolExecution], request: { tool, summary: oneLine(`${tool} ${describe(input)}`) } };
  }
}

/** Reads, and bookkeeping whose effects pass the gate on their own (a Task's sub-agent calls tools through it). */
const NEEDS_NOTHING = new Set(['ReadFile', 'ListFiles', 'Read', 'Glob', 'Grep', 'LS', 'NotebookRead', 'TodoWrite', 'Task', 'BashOutput', 'KillShell', 'KillBash']);

const CODEX_COMMAND_TOOLS = new Set(['exec', 'shell', 'local_shell', 'exec_command', 'command_execution']);

function normalizeCall(call: ToolCallInput, driver: string): ToolCallInput {
  if (driver === Driver.Claude) return normalizeClaudeTool(call.tool, call.input);
  if (driver !== Driver.Codex) return call;
  const { tool, input } = call;
  if (CODEX_COMMAND_TOOLS.has(tool)) return { tool: 'RunCommand', input: isRecord(input.action) ? input.action : input }; // local_shell nests it
  if (tool === 'web_search') return { tool: 'WebSearch', input };
  if (tool === 'mcp_tool_call') return { tool: mcpToolName(input), input: isRecord(input.arguments) ? input.arguments : {} };
  if (tool === 'apply_patch' || tool === 'file_change') {
    const changes = codexChanges(input);
    return { tool: fileChangeTool(changes), input: { paths: changes.map((c) => c.path) } };
  }
  return call;
}

/** The files a Codex patch touches: `changes` as a list or a map by path, or the patch text itself. */
function codexChanges(input: Record<string, unknown>): { path: string; kind: string }[] {
  if (Array.isArray(input.changes)) return input.changes.filter(isRecord).map((c) => ({ path: str(c.path), kind: str(c.kind) }));
  if (isRecord(input.changes)) return Object.entries(input.changes).map(([p, c]) => ({ path: p, kind: isRecord(c) ? str(c.type) || str(c.kind) : '' }));
  const patch = str(input.input) || str(input.patch);
  const changes: { path: string; kind: string }[] = [];
  for (const m of patch.matchAll(/^\*\*\* (Add|Update|Delete) File: (.+)$|^\*\*\* Move to: (.+)$/gm)) {
    changes.push(m[3] !== undefined ? { path: m[3].trim(), kind: 'update' } : { path: m[2]!.trim(), kind: m[1]!.toLowerCase() });
  }
  return changes;
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
