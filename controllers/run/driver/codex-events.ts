/**
 * Reads `codex exec --json` output: one JSON event per line — `thread.started` {thread_id},
 * `turn.started`, `item.started` / `item.updated` / `item.completed` {item: {id, type, …}},
 * `turn.completed` {usage: {input_tokens, cached_input_tokens, output_tokens}}, `turn.failed`
 * {error: {message}}, and `error` {message}. Item types: agent_message and reasoning {text},
 * command_execution {command, aggregated_output, exit_code, status}, file_change {changes:
 * [{path, kind}], status}, mcp_tool_call {server, tool, arguments, result, error, status},
 * web_search {query}, todo_list {items: [{text, completed}]}, error {message}.
 * Malformed lines and unknown types are ignored.
 */
import type { DriverEvent } from './contract.js';
import { clip, type LineMapper } from './cli-process.js';
import { isObject, parseTypedJsonLine, type Json } from './json-lines.js';

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function num(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

/** Parses one JSONL line; undefined for blank, malformed or untyped lines. */
export const parseCodexLine = parseTypedJsonLine;

/** Our tool for a file_change: only new files is WriteFile, anything else edits. */
export function fileChangeTool(changes: { kind: string }[]): 'WriteFile' | 'EditFile' {
  return changes.length > 0 && changes.every((c) => c.kind === 'add') ? 'WriteFile' : 'EditFile';
}

function fileChanges(item: Json): { path: string; kind: string }[] {
  return Array.isArray(item.changes) ? item.changes.filter(isObject).map((c) => ({ path: str(c.path), kind: str(c.kind) })) : [];
}

function mcpResultText(item: Json): string {
  if (isObject(item.error)) return str(item.error.message);
  const content = isObject(item.result) && Array.isArray(item.result.content) ? item.result.content : [];
  return content.map((c) => (isObject(c) && c.type === 'text' ? str(c.text) : '')).filter(Boolean).join('\n');
}

function todoText(item: Json): string {
  const items = Array.isArray(item.items) ? item.items.filter(isObject) : [];
  return ['Plan:', ...items.map((t) => `${t.completed === true ? '[x]' : '[ ]'} ${str(t.text)}`)].join('\n');
}

const TOOL_OUTPUT_CHARS = 65_536;

/**
 * Maps Codex exec events to driver events for one CLI process (one turn). The run's summary is
 * the last agent message. A top-level `error` is remembered, not fatal: Codex reports retryable
 * stream errors that way, and a fatal one is followed by `turn.failed` or a non-zero exit.
 */
export class CodexEventMapper implements LineMapper {
  resumeId: string | undefined;
  turns: number;
  lastError: string | undefined;
  private lastMessage: string | undefined;
  private readonly invoked = new Set<string>();
  private readonly todoShown = new Map<string, string>();

  constructor(turnsSoFar = 0) {
    this.turns = turnsSoFar;
  }

  map(line: string): DriverEvent[] {
    const event = parseCodexLine(line);
    if (!event) return [];
    switch (event.type) {
      case 'thread.started':
        if (typeof event.thread_id === 'string' && event.thread_id) this.resumeId = event.thread_id;
        return [];
      case 'turn.started':
        this.turns++;
        return [{ type: 'turn', turn: this.turns }];
      case 'item.started':
      case 'item.updated':
        return isObject(event.item) ? this.itemProgress(event.item) : [];
      case 'item.completed':
        return isObject(event.item) ? this.itemCompleted(event.item) : [];
      case 'turn.completed':
        return this.turnCompleted(event);
      case 'turn.failed': {
        const message = (isObject(event.error) ? str(event.error.message) : '') || this.lastError || 'Codex reported a failed turn.';
        return [{ type: 'run.failed', category: 'Provider', reason: 'ProviderError', message }];
      }
      case 'error':
        this.lastError = str(event.message) || this.lastError;
        return [];
      default:
        return [];
    }
  }

  private itemProgress(item: Json): DriverEvent[] {
    const id = str(item.id);
    switch (item.type) {
      case 'command_execution':
      case 'mcp_tool_call':
      case 'web_search':
        return this.invoke(item);
      case 'todo_list':
        return this.todo(id, item);
      default:
        return [];
    }
  }

  private itemCompleted(item: Json): DriverEvent[] {
    const id = str(item.id);
    switch (item.type) {
      case 'agent_message': {
        const text = str(item.text);
        if (!text) return [];
        this.lastMessage = text;
        return [{ type: 'assistant.message', text }];
      }
      case 'reasoning':
        return str(item.text) ? [{ type: 'assistant.thinking', text: str(item.text) }] : [];
      case 'todo_list':
        return this.todo(id, item);
      case 'command_execution': {
        const output = str(item.aggregated_output);
        const exitCode = typeof item.exit_code === 'number' ? item.exit_code : undefined;
        const ok = item.status === 'completed' && (exitCode === undefined || exitCode === 0);
        return [...this.invoke(item), this.result(id, 'RunCommand', ok, output, exitCode)];
      }
      case 'file_change': {
        const changes = fileChanges(item);
        const tool = fileChangeTool(changes);
        const output = changes.map((c) => `${c.kind} ${c.path}`).join('\n');
        return [...this.invoke(item), this.result(id, tool, item.status === 'completed', output)];
      }
      case 'mcp_tool_call':
        return [...this.invoke(item), this.result(id, mcpToolName(item), item.status === 'completed', mcpResultText(item))];
      case 'web_search':
        return [...this.invoke(item), this.result(id, 'WebSearch', true, str(item.query))];
      default:
        // `error` items are non-fatal warnings (config, deprecation, model reroute): raw output keeps them.
        return [];
    }
  }

  /** tool.invoked once per item, whether Codex sent item.started first or only item.completed. */
  private invoke(item: Json): DriverEvent[] {
    const id = str(item.id);
    if (!id || this.invoked.has(id)) return [];
    this.invoked.add(id);
    switch (item.type) {
      case 'command_execution':
        return [{ type: 'tool.invoked', callId: id, tool: 'RunCommand', input: { command: str(item.command) } }];
      case 'file_change': {
        const changes = fileChanges(item);
        return [{ type: 'tool.invoked', callId: id, tool: fileChangeTool(changes), input: { paths: changes.map((c) => c.path), changes } }];
      }
      case 'mcp_tool_call':
        return [{ type: 'tool.invoked', callId: id, tool: mcpToolName(item), input: isObject(item.arguments) ? item.arguments : {} }];
      case 'web_search':
        return [{ type: 'tool.invoked', callId: id, tool: 'WebSearch', input: { query: str(item.query) } }];
      default:
        return [];
    }
  }

  private result(callId: string, tool: string, ok: boolean, text: string, exitCode?: number): DriverEvent {
    const output = clip(text, TOOL_OUTPUT_CHARS);
    return {
      type: 'tool.result',
      callId,
      tool,
      ok,
      output,
      ...(exitCode !== undefined ? { exitCode } : {}),
      ...(output.length < text.length ? { truncated: true } : {}),
    };
  }

  /** The plan as reasoning, only when it changed, so item.updated repeats do not spam the journal. */
  private todo(id: string, item: Json): DriverEvent[] {
    const text = todoText(item);
    if (this.todoShown.get(id) === text) return [];
    this.todoShown.set(id, text);
    return [{ type: 'assistant.thinking', text }];
  }

  private turnCompleted(event: Json): DriverEvent[] {
    const usage = isObject(event.usage) ? event.usage : {};
    // OpenAI semantics: input_tokens already includes cached_input_tokens.
    return [
      { type: 'usage', inputTokens: num(usage.input_tokens), outputTokens: num(usage.output_tokens) },
      { type: 'run.completed', ...(this.lastMessage !== undefined ? { summary: this.lastMessage } : {}) },
    ];
  }
}

/** Names an MCP tool the way Claude Code does (`mcp__server__tool`), so policies match across drivers. */
export function mcpToolName(item: { server?: unknown; tool?: unknown }): string {
  return `mcp__${str(item.server)}__${str(item.tool)}`;
}
