/**
 * Reads the notifications of `codex app-server` (protocol v2, codex-rs/app-server-protocol
 * src/protocol/v2.rs; camelCase fields) into driver events:
 * - `thread/started` {thread: {id}} names the thread; `turn/started` {threadId, turn: {id}} counts a turn.
 * - `item/started` / `item/completed` {threadId, turnId, item: {type, id, …}} with item types
 *   agentMessage {text}, reasoning {summary[], content[]}, plan {text}, commandExecution {command,
 *   cwd, status, aggregatedOutput, exitCode, durationMs}, fileChange {changes: [{path, kind: {type:
 *   add|delete|update, move_path}, diff}], status}, mcpToolCall {server, tool, arguments, result,
 *   error, status} and webSearch {query}. Statuses: inProgress, completed, failed, declined.
 * - `item/agentMessage/delta` {itemId, delta} streams an agent message; the completed item is
 *   authoritative, the deltas stand in when it arrives without text.
 * - `turn/plan/updated` {plan: [{step, status}]} is shown as thinking; `error` {error: {message},
 *   willRetry} is remembered, not fatal (a fatal one ends the turn `failed`).
 * - `thread/tokenUsage/updated` {turnId, tokenUsage: {total, last}} becomes `usage` for the turn.
 * - `warning` / `guardianWarning` {message} and `deprecationNotice` / `configWarning` {summary,
 *   details} become `driver.warning` (kind: the method), so what Codex warns about is journalled.
 * - `turn/completed` {turn: {status, error}} is read by `turnOutcome`.
 * Unknown methods and item types are ignored (raw output keeps them).
 */
import type { DriverEvent } from '../contract.js';
import { clip } from '../cli-conversation.js';
import { isObject, type Json } from '../json-lines.js';

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function num(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

/** One file of a fileChange item, with the kind as a word (add, delete, update). */
export interface CodexFileChange {
  path: string;
  kind: string;
  /** Where an update moves the file to. */
  movePath?: string;
}

/** Our tool for a file change: only new files is WriteFile, anything else edits. */
export function fileChangeTool(changes: { kind: string }[]): 'WriteFile' | 'EditFile' {
  return changes.length > 0 && changes.every((c) => c.kind === 'add') ? 'WriteFile' : 'EditFile';
}

/** Names an MCP tool the way Claude Code does (`mcp__server__tool`), so policies match across drivers. */
export function mcpToolName(item: { server?: unknown; tool?: unknown }): string {
  return `mcp__${str(item.server)}__${str(item.tool)}`;
}

/** The changes of a v2 fileChange item; `kind` is a tagged object there ({type: "add"}). */
export function fileChangesOf(item: Json): CodexFileChange[] {
  if (!Array.isArray(item.changes)) return [];
  return item.changes.filter(isObject).map((c) => {
    const kind = isObject(c.kind) ? str(c.kind.type) : str(c.kind);
    const movePath = isObject(c.kind) ? str(c.kind.move_path) || str(c.kind.movePath) : '';
    return { path: str(c.path), kind, ...(movePath ? { movePath } : {}) };
  });
}

/** Every path a change set writes: sources and move targets. */
export function changedPaths(changes: CodexFileChange[]): string[] {
  return [...new Set(changes.flatMap((c) => (c.movePath ? [c.path, c.movePath] : [c.path])).filter(Boolean))];
}

/** How a turn ended, from `turn/completed`. */
export type TurnOutcome = { status: 'completed' } | { status: 'interrupted' } | { status: 'failed'; message: string };

const TOOL_OUTPUT_CHARS = 65_536;
const PLAN_MARK: Readonly<Record<string, string>> = { completed: '[x]', inProgress: '[~]' };

interface Tokens {
  input: number;
  output: number;
}

function tokens(value: unknown): Tokens | undefined {
  return isObject(value) ? { input: num(value.inputTokens), output: num(value.outputTokens) } : undefined;
}

/**
 * Maps the notifications of one app-server connection to driver events. The run's summary is the
 * last agent message. Approval answers are the driver's; it tells the mapper which items it
 * refused (`refused`), so their results say why.
 */
export class CodexEventMapper {
  threadId: string | undefined;
  /** The turn in progress, from `turn/started` (or the driver, from the `turn/start` response). */
  activeTurnId: string | undefined;
  turns: number;
  lastError: string | undefined;
  lastMessage: string | undefined;
  private readonly deltas = new Map<string, string>();
  private readonly invoked = new Set<string>();
  private readonly changes = new Map<string, CodexFileChange[]>();
  private readonly refusals = new Map<string, string>();
  private usageTotal: Tokens | undefined;
  private planShown: string | undefined;

  constructor(turnsSoFar = 0) {
    this.turns = turnsSoFar;
  }

  /** The files a fileChange item touches, once `item/started` has named them. */
  changesOf(itemId: string): CodexFileChange[] | undefined {
    return this.changes.get(itemId);
  }

  /** Remembers why an item was declined, for its tool.result. */
  refused(itemId: string, reason: string): void {
    this.refusals.set(itemId, reason);
  }

  map(method: string, params: Json): DriverEvent[] {
    switch (method) {
      case 'thread/started':
        if (isObject(params.thread) && str(params.thread.id)) this.threadId = str(params.thread.id);
        return [];
      case 'turn/started':
        this.activeTurnId = (isObject(params.turn) ? str(params.turn.id) : '') || this.activeTurnId;
        this.turns++;
        return [{ type: 'turn', turn: this.turns }];
      case 'item/started':
        return isObject(params.item) ? this.itemStarted(params.item) : [];
      case 'item/completed':
        return isObject(params.item) ? this.itemCompleted(params.item) : [];
      case 'item/agentMessage/delta': {
        const id = str(params.itemId);
        if (id) this.deltas.set(id, (this.deltas.get(id) ?? '') + str(params.delta));
        return [];
      }
      case 'turn/plan/updated':
        return this.plan(params);
      case 'thread/tokenUsage/updated':
        return this.usage(params);
      case 'error':
        this.lastError = (isObject(params.error) ? str(params.error.message) : '') || this.lastError;
        return [];
      case 'warning':
      case 'guardianWarning':
        return str(params.message) ? [{ type: 'driver.warning', kind: method, message: str(params.message) }] : [];
      case 'deprecationNotice':
      case 'configWarning': {
        const message = [str(params.summary), str(params.details), str(params.path)].filter(Boolean).join(' — ');
        return message ? [{ type: 'driver.warning', kind: method, message }] : [];
      }
      default:
        return [];
    }
  }

  /** How the turn in `turn/completed` ended; clears the active turn. */
  turnOutcome(params: Json): TurnOutcome {
    const turn = isObject(params.turn) ? params.turn : {};
    this.activeTurnId = undefined;
    if (turn.status === 'completed') return { status: 'completed' };
    if (turn.status === 'interrupted') return { status: 'interrupted' };
    const message = (isObject(turn.error) ? str(turn.error.message) : '') || this.lastError || `Codex ended the turn with status ${String(turn.status)}.`;
    return { status: 'failed', message };
  }

  private itemStarted(item: Json): DriverEvent[] {
    const id = str(item.id);
    if (item.type === 'fileChange' && id) this.changes.set(id, fileChangesOf(item));
    if (item.type === 'commandExecution' || item.type === 'fileChange' || item.type === 'mcpToolCall') return this.invoke(item);
    return [];
  }

  private itemCompleted(item: Json): DriverEvent[] {
    const id = str(item.id);
    switch (item.type) {
      case 'agentMessage': {
        const text = str(item.text) || this.deltas.get(id) || '';
        this.deltas.delete(id);
        if (!text) return [];
        this.lastMessage = text;
        return [{ type: 'assistant.message', text }];
      }
      case 'reasoning': {
        const parts = [item.summary, item.content].flatMap((p) => (Array.isArray(p) ? p.map(str) : [])).filter(Boolean);
        return parts.length ? [{ type: 'assistant.thinking', text: parts.join('\n\n') }] : [];
      }
      case 'plan':
        return str(item.text) ? [{ type: 'assistant.thinking', text: `Plan:\n${str(item.text)}` }] : [];
      case 'commandExecution': {
        const exitCode = typeof item.exitCode === 'number' ? item.exitCode : undefined;
        const ok = item.status === 'completed' && (exitCode === undefined || exitCode === 0);
        const durationMs = typeof item.durationMs === 'number' ? item.durationMs : undefined;
        return [...this.invoke(item), this.result(item, 'RunCommand', ok, str(item.aggregatedOutput), exitCode, durationMs)];
      }
      case 'fileChange': {
        const changes = fileChangesOf(item);
        const output = changes.map((c) => `${c.kind} ${c.path}${c.movePath ? ` → ${c.movePath}` : ''}`).join('\n');
        return [...this.invoke(item), this.result(item, fileChangeTool(changes), item.status === 'completed', output)];
      }
      case 'mcpToolCall': {
        const error = isObject(item.error) ? str(item.error.message) : '';
        const content = isObject(item.result) && Array.isArray(item.result.content) ? item.result.content : [];
        const text = error || content.map((c) => (isObject(c) && c.type === 'text' ? str(c.text) : '')).filter(Boolean).join('\n');
        return [...this.invoke(item), this.result(item, mcpToolName(item), item.status === 'completed', text)];
      }
      case 'webSearch':
        return [...this.invoke(item), this.result(item, 'WebSearch', true, str(item.query))];
      default:
        // userMessage echoes our own input; contextCompaction, imageView and the rest stay in raw output.
        return [];
    }
  }

  /** tool.invoked once per item, whether it came with item/started or only item/completed. */
  private invoke(item: Json): DriverEvent[] {
    const id = str(item.id);
    if (!id || this.invoked.has(id)) return [];
    this.invoked.add(id);
    switch (item.type) {
      case 'commandExecution':
        return [{ type: 'tool.invoked', callId: id, tool: 'RunCommand', input: { command: str(item.command), ...(str(item.cwd) ? { cwd: str(item.cwd) } : {}) } }];
      case 'fileChange': {
        const changes = fileChangesOf(item);
        return [{ type: 'tool.invoked', callId: id, tool: fileChangeTool(changes), input: { paths: changedPaths(changes), changes } }];
      }
      case 'mcpToolCall':
        return [{ type: 'tool.invoked', callId: id, tool: mcpToolName(item), input: isObject(item.arguments) ? item.arguments : {} }];
      case 'webSearch':
        return [{ type: 'tool.invoked', callId: id, tool: 'WebSearch', input: { query: str(item.query) } }];
      default:
        return [];
    }
  }

  private result(item: Json, tool: string, ok: boolean, text: string, exitCode?: number, durationMs?: number): DriverEvent {
    const callId = str(item.id);
    // A declined item never ran: the agent (and the journal) see the refusal instead of an empty output.
    const refusal = item.status === 'declined' ? `refused: ${this.refusals.get(callId) ?? 'declined by the approval gate'}` : undefined;
    const full = refusal ?? text;
    const output = clip(full, TOOL_OUTPUT_CHARS);
    return {
      type: 'tool.result',
      callId,
      tool,
      ok: refusal ? false : ok,
      output,
      ...(exitCode !== undefined ? { exitCode } : {}),
      ...(durationMs !== undefined ? { durationMs } : {}),
      ...(output.length < full.length ? { truncated: true } : {}),
    };
  }

  /** The plan as thinking, only when it changed. */
  private plan(params: Json): DriverEvent[] {
    const steps = Array.isArray(params.plan) ? params.plan.filter(isObject) : [];
    const text = ['Plan:', ...steps.map((s) => `${PLAN_MARK[str(s.status)] ?? '[ ]'} ${str(s.step)}`)].join('\n');
    if (steps.length === 0 || text === this.planShown) return [];
    this.planShown = text;
    return [{ type: 'assistant.thinking', text }];
  }

  /**
   * Usage of the turn in progress. The running total is what counts: the increase since the last
   * update (an update that repeats the total adds nothing). Updates for other turns — the replay
   * `thread/resume` sends for the thread's history — only set the baseline.
   */
  private usage(params: Json): DriverEvent[] {
    const info = isObject(params.tokenUsage) ? params.tokenUsage : {};
    const total = tokens(info.total);
    const last = tokens(info.last);
    const before = this.usageTotal;
    if (total) this.usageTotal = total;
    if (!this.activeTurnId || str(params.turnId) !== this.activeTurnId) return [];
    const used = before && total ? { input: total.input - before.input, output: total.output - before.output } : last;
    if (!used || (used.input <= 0 && used.output <= 0)) return [];
    // OpenAI semantics: inputTokens already includes cachedInputTokens.
    return [{ type: 'usage', inputTokens: Math.max(0, used.input), outputTokens: Math.max(0, used.output) }];
  }
}
