/**
 * Classifies a tool call into what it needs approved (DOMAIN.md, Approvals): the categories that
 * apply and the request people are shown. Pure: no I/O — paths are judged lexically against the
 * workspace root, commands by reading them with the shell reader (shell/parse.ts). The rules live
 * by concern in classify/: commands.ts (RunCommand), network.ts, git.ts, writes.ts (and WriteFile/
 * EditFile); this module composes them.
 *
 * Vocabulary: ours (RunCommand, ReadFile, WriteFile, EditFile, ListFiles, WebFetch, WebSearch,
 * `mcp__server__tool`, …). Each driver translates its agent's tool names before a call reaches the
 * gate (Claude Code's in node/drivers/claude/stream.ts, Codex's in node/drivers/codex/), so a
 * custom tool of one agent is never mistaken for another CLI's built-in, and this module knows no
 * driver. A tool we do not know is ToolExecution: asking is the safe answer.
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
import { ApprovalCategory } from '../../resources/kinds/common.js';
import { classifyCommand } from './classify/commands.js';
import { describe, oneLine } from './classify/summary.js';
import { classifyFileChange } from './classify/writes.js';
import type { Classification, ClassifyContext, ToolCallInput } from './classify/types.js';

export { singleCommand } from './classify/commands.js';
export { hostOf } from './classify/network.js';
export { parseShell, type Redirect, type SimpleCommand } from './shell/parse.js';

export type { ApprovalRequest, Classification, ClassifyContext, ToolCallInput } from './classify/types.js';

/** Classifies one tool call: the categories that need approval and the request to show. */
export function classifyToolCall(call: ToolCallInput, ctx: ClassifyContext): Classification {
  const { tool, input } = call;
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

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
