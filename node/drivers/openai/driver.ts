/**
 * The OpenAI driver: any OpenAI-compatible chat-completions endpoint, streamed (SSE), with the
 * agent's local tools offered as function tools. It runs the tool loop itself — model turn, tool
 * calls through the broker, tool results back — until the model answers without calling a tool
 * (run.completed) or the agent's maxTurns is used up (run.failed, Budget). It checkpoints the
 * transcript after every turn, so a resumed run re-requests only the turn that did not finish.
 */
import { turnsExhausted, type DriverCapabilities, type DriverStartContext, type TranscriptMessage } from '../contract.js';
import { delay, isAbort } from '../delay.js';
import { OwnLoopDriver } from '../own-loop-driver.js';
import { ProviderCallError, streamChatCompletion, type ChatEndpoint } from './client.js';
import { chatMessages } from './messages.js';
import { DEFAULT_RETRY_POLICY, withRetries, type RetryPolicy } from './retry.js';
import { RawTap, ThinkingTap } from './taps.js';
import { functionTools, serverFunctionTools, type FunctionTool } from './tools.js';
import type { AssembledToolCall, AssembledTurn } from './turn.js';
import { rejectToolCall, runToolCall } from '../tool-call.js';

/** Knobs for tests and tuning; production uses the defaults. */
export interface OpenAIDriverOptions {
  retry?: Partial<RetryPolicy>;
  /** Waits between retries (abortable). */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Jitter source in [0, 1). */
  random?: () => number;
  fetch?: typeof fetch;
}

interface ConversationState {
  transcript: TranscriptMessage[];
  turns: number;
}

/** Output recorded for tool calls of a turn that the interrupt kept from running. */
const NOT_RUN_OUTPUT = 'not run: the run was interrupted before this tool call started';

/** Drives a chat-completions model through the tool loop. */
export class OpenAIDriver extends OwnLoopDriver {
  private readonly policy: RetryPolicy;

  constructor(private readonly opts: OpenAIDriverOptions = {}) {
    super();
    this.policy = { ...DEFAULT_RETRY_POLICY, ...opts.retry };
  }

  capabilities(): DriverCapabilities {
    // Reasoning is shown when a server streams it, but most do not, so it is not promised.
    return { resume: true, steer: false, interactiveRequests: false, toolCalls: true, reasoningStream: false };
  }

  async start(ctx: DriverStartContext): Promise<void> {
    const signal = AbortSignal.any([ctx.signal, this.stop.signal]);
    const { endpoint, model } = ctx.agent;
    if (!endpoint?.baseURL || !model) {
      const missing = !endpoint?.baseURL ? 'endpoint.baseURL' : 'model';
      ctx.emit({ type: 'run.failed', category: 'Provider', reason: 'InvalidConfig', message: `agent ${ctx.agent.name}: ${missing} is required by the OpenAI driver` });
      return;
    }
    const state = initialState(ctx);
    const tools = [...functionTools(ctx.agent.tools), ...serverFunctionTools(ctx.agent.serverTools ?? [])];
    const checkpoint = () => ctx.emit({ type: 'checkpoint', checkpoint: { transcript: [...state.transcript], turns: state.turns } });
    // Resuming in the middle of a turn: its remaining tool calls come before the next request.
    await this.runPendingCalls(ctx, state, signal, checkpoint);

    for (;;) {
      this.applyInbox(state.transcript);
      if (signal.aborted) return checkpoint();
      const last = state.transcript.at(-1);
      if (last?.role === 'assistant' && !last.toolCalls?.length) {
        ctx.emit({ type: 'run.completed', summary: last.content });
        return;
      }
      if (state.turns >= ctx.agent.maxTurns) {
        ctx.emit(turnsExhausted(ctx.agent.maxTurns));
        return;
      }
      ctx.emit({ type: 'turn', turn: state.turns + 1 });
      let answer: AssembledTurn;
      try {
        answer = await this.requestTurn(ctx, { baseURL: endpoint.baseURL, ...(endpoint.apiKey ? { apiKey: endpoint.apiKey } : {}) }, model, state, tools, signal);
      } catch (err) {
        if (isAbort(err) || signal.aborted) {
          this.applyInbox(state.transcript);
          return checkpoint();
        }
        if (err instanceof ProviderCallError) {
          ctx.emit({ type: 'run.failed', category: err.category, reason: err.reason, message: err.message });
          return;
        }
        throw err;
      }
      state.turns += 1;
      this.recordTurn(ctx, state, answer);
      checkpoint();
      await this.runPendingCalls(ctx, state, signal, checkpoint);
    }
  }

  /** One model turn with retries. The answer is buffered: a retried attempt never duplicates text events. */
  private async requestTurn(
    ctx: DriverStartContext,
    endpoint: ChatEndpoint,
    model: string,
    state: ConversationState,
    tools: FunctionTool[],
    signal: AbortSignal,
  ): Promise<AssembledTurn> {
    const body = {
      model,
      messages: chatMessages(state.transcript),
      stream: true,
      stream_options: { include_usage: true },
      ...(tools.length > 0 ? { tools } : {}),
    };
    const raw = new RawTap(ctx.emit);
    const thinking = new ThinkingTap(ctx.emit);
    const observer = { onRaw: (d: string) => raw.add(d), onReasoning: (t: string) => thinking.add(t), onAnswer: () => thinking.flush() };
    try {
      return await withRetries(
        async () => {
          try {
            return await streamChatCompletion(endpoint, body, observer, signal, this.opts.fetch);
          } finally {
            thinking.flush();
          }
        },
        {
          policy: this.policy,
          sleep: this.opts.sleep ?? delay,
          random: this.opts.random ?? Math.random,
          signal,
          onRetry: (err, attempt, wait) => raw.note(`retrying turn ${state.turns + 1} (attempt ${attempt + 1} of ${this.policy.maxAttempts}) in ${wait} ms: ${err.message}`),
        },
      );
    } finally {
      raw.flush();
    }
  }

  /** Reports a finished turn and runs its tool calls, keeping the transcript valid even when interrupted. */
  private recordTurn(ctx: DriverStartContext, state: ConversationState, answer: AssembledTurn): void {
    if (answer.usage) ctx.emit({ type: 'usage', inputTokens: answer.usage.inputTokens, outputTokens: answer.usage.outputTokens });
    if (answer.content) ctx.emit({ type: 'assistant.message', text: answer.content });
    const calls = answer.toolCalls.map((c, i): AssembledToolCall => ({ ...c, id: c.id || `call-${state.turns}-${i}` }));
    state.transcript.push({ role: 'assistant', content: answer.content, ...(calls.length > 0 ? { toolCalls: calls } : {}) });
  }

  /**
   * Runs the calls of the last assistant message that have no tool message yet, checkpointing
   * after each: a restart then resumes at the next call instead of asking the model again, and the
   * call that was running is known (see runToolCall for what happens to it).
   */
  private async runPendingCalls(ctx: DriverStartContext, state: ConversationState, signal: AbortSignal, checkpoint: () => void): Promise<void> {
    const at = state.transcript.findLastIndex((m) => m.role === 'assistant');
    const calls = at >= 0 ? (state.transcript[at].toolCalls ?? []) : [];
    const answered = new Set(state.transcript.slice(at + 1).map((m) => m.toolCallId));
    for (const call of calls) {
      if (answered.has(call.id)) continue;
      // Every tool call needs a tool message, or the provider rejects the next request.
      const output = signal.aborted ? NOT_RUN_OUTPUT : await this.runCall(ctx, call, signal);
      state.transcript.push({ role: 'tool', content: output, toolCallId: call.id });
      checkpoint();
    }
  }

  private async runCall(ctx: DriverStartContext, call: AssembledToolCall, signal: AbortSignal): Promise<string> {
    const enabled: readonly string[] = [...ctx.agent.tools, ...(ctx.agent.serverTools ?? []).map((t) => t.name)];
    if (!enabled.includes(call.name)) {
      return rejectToolCall(ctx, { callId: call.id, tool: call.name, input: {} }, `error: unknown tool ${JSON.stringify(call.name)}; available: ${enabled.join(', ') || 'none'}`).output;
    }
    const input = parseArguments(call.arguments);
    if (typeof input === 'string') return rejectToolCall(ctx, { callId: call.id, tool: call.name, input: {} }, `error: ${input}`).output;
    return (await runToolCall(ctx, { callId: call.id, tool: call.name, input }, signal)).output;
  }
}

/** The parsed arguments object, or why it is not one (told to the model so it can correct itself). */
function parseArguments(text: string): Record<string, unknown> | string {
  if (text.trim() === '') return {};
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
    return 'tool arguments must be a JSON object';
  } catch (err) {
    return `tool arguments are not valid JSON (${(err as Error).message})`;
  }
}

function initialState(ctx: DriverStartContext): ConversationState {
  if (ctx.checkpoint) return { transcript: [...ctx.checkpoint.transcript], turns: ctx.checkpoint.turns };
  const transcript: TranscriptMessage[] = [];
  if (ctx.agent.instructions) transcript.push({ role: 'system', content: ctx.agent.instructions });
  transcript.push({ role: 'user', content: ctx.prompt, source: 'prompt' });
  return { transcript, turns: 0 };
}
