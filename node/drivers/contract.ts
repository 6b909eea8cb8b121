/**
 * The driver contract (DOMAIN.md, Drivers). A driver turns an agent configuration and a prompt
 * into normalized events; controllers never branch on the provider. Each run's driver lives in
 * its own OS process (the driver host), so a crashing driver fails that run only; the daemon
 * talks to the host over the protocol in ./protocol.ts.
 */
import type { ToolName } from '../../resources/kinds/agent-script.js';
import type { ScriptStep } from '../../resources/kinds/agent-script.js';

/** What a driver can do; what it does not declare is not offered to users. */
export interface DriverCapabilities {
  /** Can continue a run from a persisted transcript / provider session after a restart or pause. */
  resume: boolean;
  /** Can take steer text mid-turn (otherwise steer degrades to interrupt + next user message). */
  steer: boolean;
  /** Can ask the user questions (request.input) and approvals (request.approval). */
  interactiveRequests: boolean;
  toolCalls: boolean;
  reasoningStream: boolean;
}

export const DriverKind = { Scripted: 'Scripted', OpenAI: 'OpenAI', Claude: 'Claude', Codex: 'Codex' } as const;
export type DriverKind = (typeof DriverKind)[keyof typeof DriverKind];

/** The agent configuration a driver receives, with secrets already resolved by the daemon. */
export interface AgentConfig {
  name: string;
  driver: DriverKind;
  model?: string;
  instructions?: string;
  /** OpenAI-compatible endpoint; apiKey resolved from env/file by the daemon. */
  endpoint?: { baseURL: string; apiKey?: string };
  /** Path override for the claude / codex binary. */
  command?: string;
  tools: ToolName[];
  maxTurns: number;
  /** Extra environment for the agent process (already filtered). */
  env: Record<string, string>;
  script?: ScriptStep[];
  /** Server-defined Tools offered besides `tools` (Agent spec.serverTools), resolved by the daemon. */
  serverTools?: ServerTool[];
}

/** A server-defined Tool (resources/kinds/tool.ts) as a driver offers it and the host runs it. */
export interface ServerTool {
  /** The function name: the Tool's name. */
  name: string;
  description: string;
  /** JSON Schema of the input object, given to the model and checked before a call is approved or run. */
  inputSchema: Record<string, unknown>;
  /** argv, run in the workspace without a shell. */
  command: string[];
  /** The Tool's environment, when the machine passes it through (else empty, see withheldEnv). */
  env: Record<string, string>;
  /** Names of the Tool's variables the launcher withheld (no `--allow-env-passthrough`). */
  withheldEnv?: string[];
  timeoutSeconds: number;
  /** Relative to the workspace root. */
  workingDir?: string;
}

/** One message of a persisted conversation (OpenAI chat shape, which every driver can map to). */
export interface TranscriptMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string;
  toolCalls?: { id: string; name: string; arguments: string }[];
  toolCallId?: string;
  /** `steer` for text delivered by a Steer intervention. */
  source?: 'prompt' | 'steer' | 'user';
}

/** What a driver persists to continue later: the daemon stores it and hands it back at resume. */
export interface DriverCheckpoint {
  transcript: TranscriptMessage[];
  /** Provider session id (Claude `session_id`, Codex `thread_id`) for native resume. */
  resumeId?: string;
  /** Driver-specific position, e.g. the Scripted driver's next step index. */
  cursor?: number;
  turns: number;
}

export type FailureCategoryName = 'Provider' | 'Transport' | 'Persistence' | 'Workspace' | 'Policy' | 'Budget' | 'Timeout';

/** Normalized events out of every driver. */
export type DriverEvent =
  | { type: 'assistant.message'; text: string }
  | { type: 'assistant.thinking'; text: string }
  | { type: 'tool.invoked'; callId: string; tool: string; input: Record<string, unknown> }
  | { type: 'tool.result'; callId: string; tool: string; ok: boolean; output: string; exitCode?: number; durationMs?: number; truncated?: boolean }
  /** After a daemon restart: a call that was in flight runs again (idempotent tools only)... */
  | { type: 'tool.replayed'; callId: string; tool: string; input: Record<string, unknown> }
  /** ...or is not run again, and the agent is told (its effect is unknown). */
  | { type: 'tool.skipped_during_recovery'; callId: string; tool: string; input: Record<string, unknown> }
  | { type: 'request.input'; requestId: string; question: string }
  | { type: 'usage'; inputTokens: number; outputTokens: number; costUSD?: number }
  | { type: 'turn'; turn: number }
  | { type: 'checkpoint'; checkpoint: DriverCheckpoint }
  | { type: 'raw'; data: string }
  /** Something the provider CLI warned about (Codex `warning`, `deprecationNotice`…): journalled, changes nothing. */
  | { type: 'driver.warning'; kind: string; message: string }
  | { type: 'run.completed'; summary?: string }
  | { type: 'run.failed'; category: FailureCategoryName; reason: string; message: string };

/** A tool call as a driver asks for it. */
export interface ToolCall {
  callId: string;
  tool: string;
  input: Record<string, unknown>;
}

export interface ToolResult {
  ok: boolean;
  /** Text the model sees (stdout+stderr for RunCommand, file content, listing, error message). */
  output: string;
  exitCode?: number;
  durationMs: number;
  truncated?: boolean;
}

/** The decision on a gated tool call. A refusal becomes the tool result the agent sees. */
export interface PermissionDecision {
  allow: boolean;
  reason?: string;
  /** The call was approved as NetworkAccess: its command may reach the network (the sandbox opens it). */
  network?: boolean;
}

/**
 * Runs tools for a driver: asks the daemon for permission first (the approval gate; fail closed),
 * then executes inside the workspace. Drivers whose provider runs its own tools (Claude, Codex)
 * use only `permission`.
 */
export interface ToolBroker {
  permission(call: ToolCall): Promise<PermissionDecision>;
  execute(call: ToolCall, signal: AbortSignal): Promise<ToolResult>;
}

/** Everything a driver gets when it starts (or resumes) a run. */
export interface DriverStartContext {
  run: { namespace: string; name: string; uid: string; session: string };
  prompt: string;
  agent: AgentConfig;
  workspace: { path: string; readOnly: boolean };
  /** Present when resuming: what the driver checkpointed last. */
  checkpoint?: DriverCheckpoint;
  /** Recovering after a daemon restart: tool calls invoked before it that never reported a result. */
  interruptedCalls?: string[];
  tools: ToolBroker;
  emit(event: DriverEvent): void;
  /** Aborted when the run is interrupted, paused or cancelled. */
  signal: AbortSignal;
}

/** A driver instance serves one run inside the driver host process. */
export interface Driver {
  capabilities(): DriverCapabilities;
  /** Runs until the agent finishes or fails (emitting run.completed / run.failed), or the signal aborts. */
  start(ctx: DriverStartContext): Promise<void>;
  /** Delivers a user message (answer to request.input, or a follow-up). */
  send(message: string, source?: TranscriptMessage['source']): Promise<void>;
  /** Delivers steer text; resolves `applied` when injected mid-turn, `degraded` when it waits for the turn to end. */
  steer(text: string): Promise<'applied' | 'degraded'>;
  /** Stops the current turn at a safe point. */
  interrupt(): Promise<void>;
  close(): Promise<void>;
}

/** The event that ends a run at its turn limit (DOMAIN.md, Budgets: reason BudgetExhausted). */
export function turnsExhausted(maxTurns: number): Extract<DriverEvent, { type: 'run.failed' }> {
  return { type: 'run.failed', category: 'Budget', reason: 'BudgetExhausted', message: `the agent used all ${maxTurns} turns without finishing` };
}
