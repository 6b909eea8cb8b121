/**
 * Reads Claude Code's headless output (`claude -p --output-format stream-json --verbose`): one
 * JSON object per line — `system` (subtype `init` first, with `session_id`, `tools`, `model`),
 * `assistant` (an Anthropic message whose content blocks are text, thinking or tool_use), `user`
 * (tool_result blocks the CLI produced), and `result` last (subtype success, error_max_turns,
 * error_during_execution, error_max_budget_usd; `result`, `usage`, `total_cost_usd`, `num_turns`,
 * `is_error`, `errors`). Lines that are not JSON objects, and types we do not know, are ignored.
 */
import type { DriverEvent } from '../contract.js';
import { clip, type LineMapper } from '../cli-conversation.js';
import { isObject, parseTypedJsonLine, type Json } from '../json-lines.js';

/**
 * Claude Code's built-in tools that have a Sidekicks equivalent, so policies name one tool set.
 * MultiEdit and LS are gone from 2.1.x but still recognized: an agent may pin an older CLI.
 */
export const CLAUDE_TOOL_NAMES: Readonly<Record<string, string>> = {
  Bash: 'RunCommand',
  Read: 'ReadFile',
  Write: 'WriteFile',
  Edit: 'EditFile',
  MultiEdit: 'EditFile',
  NotebookEdit: 'EditFile',
  Glob: 'ListFiles',
  Grep: 'ListFiles',
  LS: 'ListFiles',
};

/** Maps a Claude Code tool call to ours: the canonical name, and `path` beside Claude's `file_path`. */
export function normalizeClaudeTool(name: string, input: Record<string, unknown>): { tool: string; input: Record<string, unknown> } {
  const tool = CLAUDE_TOOL_NAMES[name] ?? name;
  const filePath = input.file_path ?? input.notebook_path;
  return { tool, input: typeof filePath === 'string' && input.path === undefined ? { ...input, path: filePath } : input };
}

/** Parses one stream-json line; undefined for blank, malformed or untyped lines. */
export const parseClaudeLine = parseTypedJsonLine;

/** Flattens tool_result content (a string, or text/image blocks) to the text the model saw. */
export function toolResultText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((block) => (isObject(block) ? (block.type === 'text' && typeof block.text === 'string' ? block.text : `[${String(block.type)}]`) : ''))
    .filter(Boolean)
    .join('\n');
}

function num(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

const TOOL_OUTPUT_CHARS = 65_536;

/**
 * Maps Claude Code stream-json lines to driver events for one CLI process. Turns are counted per
 * distinct assistant message id (one model call), since the CLI prints each content block of a
 * message as its own `assistant` line.
 */
export class ClaudeStreamMapper implements LineMapper {
  resumeId: string | undefined;
  turns: number;
  lastError: string | undefined;
  private readonly toolNames = new Map<string, string>();
  private readonly messageIds = new Set<string>();

  constructor(turnsSoFar = 0) {
    this.turns = turnsSoFar;
  }

  map(line: string): DriverEvent[] {
    const msg = parseClaudeLine(line);
    if (!msg) return [];
    if (typeof msg.session_id === 'string' && msg.session_id) this.resumeId = msg.session_id;
    switch (msg.type) {
      case 'assistant':
        return this.assistant(msg.message);
      case 'user':
        return this.user(msg.message);
      case 'result':
        return this.result(msg);
      default:
        return [];
    }
  }

  private assistant(message: unknown): DriverEvent[] {
    if (!isObject(message) || !Array.isArray(message.content)) return [];
    const events: DriverEvent[] = [];
    const id = typeof message.id === 'string' ? message.id : undefined;
    if (!id || !this.messageIds.has(id)) {
      if (id) this.messageIds.add(id);
      this.turns++;
      events.push({ type: 'turn', turn: this.turns });
    }
    for (const block of message.content) {
      if (!isObject(block)) continue;
      if (block.type === 'text' && typeof block.text === 'string' && block.text) events.push({ type: 'assistant.message', text: block.text });
      else if (block.type === 'thinking' && typeof block.thinking === 'string' && block.thinking) events.push({ type: 'assistant.thinking', text: block.thinking });
      else if (block.type === 'tool_use' && typeof block.id === 'string' && typeof block.name === 'string') {
        const { tool, input } = normalizeClaudeTool(block.name, isObject(block.input) ? block.input : {});
        this.toolNames.set(block.id, tool);
        events.push({ type: 'tool.invoked', callId: block.id, tool, input });
      }
    }
    return events;
  }

  private user(message: unknown): DriverEvent[] {
    if (!isObject(message) || !Array.isArray(message.content)) return [];
    const events: DriverEvent[] = [];
    for (const block of message.content) {
      if (!isObject(block) || block.type !== 'tool_result' || typeof block.tool_use_id !== 'string') continue;
      const text = toolResultText(block.content);
      const output = clip(text, TOOL_OUTPUT_CHARS);
      events.push({
        type: 'tool.result',
        callId: block.tool_use_id,
        tool: this.toolNames.get(block.tool_use_id) ?? 'unknown',
        ok: block.is_error !== true,
        output,
        ...(output.length < text.length ? { truncated: true } : {}),
      });
    }
    return events;
  }

  private result(msg: Json): DriverEvent[] {
    const events: DriverEvent[] = [];
    const usage = isObject(msg.usage) ? msg.usage : {};
    // Cache reads and writes are input the model processed; Anthropic reports them apart from input_tokens.
    const inputTokens = num(usage.input_tokens) + num(usage.cache_creation_input_tokens) + num(usage.cache_read_input_tokens);
    const outputTokens = num(usage.output_tokens);
    const cost = typeof msg.total_cost_usd === 'number' ? { costUSD: msg.total_cost_usd } : {};
    if (inputTokens || outputTokens || 'costUSD' in cost) events.push({ type: 'usage', inputTokens, outputTokens, ...cost });
    const text = typeof msg.result === 'string' ? msg.result : undefined;
    const errors = Array.isArray(msg.errors) ? msg.errors.filter((e): e is string => typeof e === 'string') : [];
    const detail = errors.join('; ') || text || `Claude Code reported ${String(msg.subtype)}`;
    if (msg.subtype === 'success' && msg.is_error !== true) {
      events.push({ type: 'run.completed', ...(text !== undefined ? { summary: text } : {}) });
    } else if (msg.subtype === 'error_max_turns') {
      events.push({ type: 'run.failed', category: 'Budget', reason: 'BudgetExhausted', message: `Claude Code stopped at its turn limit (${num(msg.num_turns)} turns).` });
    } else if (msg.subtype === 'error_max_budget_usd') {
      events.push({ type: 'run.failed', category: 'Budget', reason: 'BudgetExhausted', message: `Claude Code stopped at its cost limit: ${detail}` });
    } else {
      this.lastError = detail;
      events.push({ type: 'run.failed', category: 'Provider', reason: 'ProviderError', message: detail });
    }
    return events;
  }
}
