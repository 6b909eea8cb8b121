/**
 * Assembles one streamed chat completion (`chat.completion.chunk` objects) into a whole assistant
 * turn: content deltas concatenated, tool calls gathered by `index` with their `arguments`
 * fragments joined, `finish_reason`, and the usage chunk that `stream_options.include_usage` adds
 * at the end (with empty — or, on some servers, null — `choices`). Only choice 0 is read: we never
 * ask for `n > 1`.
 */

/** A tool call the model made, with its arguments still as the JSON text the model wrote. */
export interface AssembledToolCall {
  id: string;
  name: string;
  arguments: string;
}

/** One complete assistant turn. */
export interface AssembledTurn {
  content: string;
  reasoning: string;
  toolCalls: AssembledToolCall[];
  finishReason?: string;
  usage?: { inputTokens: number; outputTokens: number };
}

/** A chunk the server sent that we cannot use: an in-stream error object or a shape we do not know. */
export class ChunkError extends Error {
  constructor(
    message: string,
    readonly fromProvider: boolean,
  ) {
    super(message);
    this.name = 'ChunkError';
  }
}

interface ToolCallDelta {
  index?: number;
  id?: string;
  type?: string;
  function?: { name?: string; arguments?: string };
}

interface ChunkShape {
  choices?: { index?: number; delta?: { content?: string | null; reasoning_content?: string | null; reasoning?: string | null; tool_calls?: ToolCallDelta[] }; finish_reason?: string | null }[] | null;
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
  error?: unknown;
}

/** Accumulates chunks of one response; `add` returns the reasoning text the chunk carried (to stream it). */
export class TurnAssembler {
  private content = '';
  private reasoning = '';
  private readonly calls = new Map<number, AssembledToolCall>();
  private finishReason?: string;
  private usage?: AssembledTurn['usage'];

  /** Adds one parsed chunk; throws ChunkError for an error object or a chunk that is not one. */
  add(chunk: unknown): { reasoning: string; content: string; toolCalls: boolean } {
    if (typeof chunk !== 'object' || chunk === null || Array.isArray(chunk)) throw new ChunkError('a stream chunk is not a JSON object', false);
    const c = chunk as ChunkShape;
    if (c.error !== undefined && c.error !== null) throw new ChunkError(errorText(c.error), true);
    if (c.choices !== undefined && c.choices !== null && !Array.isArray(c.choices)) throw new ChunkError('a stream chunk has non-array choices', false);
    if (c.usage && typeof c.usage === 'object') {
      this.usage = { inputTokens: c.usage.prompt_tokens ?? 0, outputTokens: c.usage.completion_tokens ?? 0 };
    }
    const seen = { reasoning: '', content: '', toolCalls: false };
    for (const choice of c.choices ?? []) {
      if ((choice.index ?? 0) !== 0) continue;
      const delta = choice.delta ?? {};
      // DeepSeek/vLLM/llama.cpp send `reasoning_content`; Ollama and OpenRouter send `reasoning`.
      const reasoning = delta.reasoning_content ?? delta.reasoning;
      if (typeof reasoning === 'string' && reasoning.length > 0) {
        this.reasoning += reasoning;
        seen.reasoning = reasoning;
      }
      if (typeof delta.content === 'string') {
        this.content += delta.content;
        seen.content = delta.content;
      }
      for (const call of delta.tool_calls ?? []) {
        seen.toolCalls = true;
        this.addToolCall(call);
      }
      if (typeof choice.finish_reason === 'string') this.finishReason = choice.finish_reason;
    }
    return seen;
  }

  /** True once a finish_reason arrived: the message is complete even if the stream then breaks. */
  get finished(): boolean {
    return this.finishReason !== undefined;
  }

  result(): AssembledTurn {
    const toolCalls = [...this.calls.entries()].sort(([a], [b]) => a - b).map(([, call]) => call);
    return {
      content: this.content,
      reasoning: this.reasoning,
      toolCalls,
      ...(this.finishReason !== undefined ? { finishReason: this.finishReason } : {}),
      ...(this.usage ? { usage: this.usage } : {}),
    };
  }

  private addToolCall(delta: ToolCallDelta): void {
    // Servers that stream each call whole (no index) still number them in order of arrival.
    const index = typeof delta.index === 'number' ? delta.index : this.calls.size;
    let call = this.calls.get(index);
    if (!call) {
      call = { id: '', name: '', arguments: '' };
      this.calls.set(index, call);
    }
    if (delta.id) call.id = delta.id;
    // The name arrives whole in the call's first delta; some servers repeat it on later ones.
    if (delta.function?.name && !call.name) call.name = delta.function.name;
    if (delta.function?.arguments) call.arguments += delta.function.arguments;
  }
}

/** The human message of an OpenAI-style error: `{message}`, a bare string, or the JSON itself. */
export function errorText(error: unknown): string {
  if (typeof error === 'string') return error;
  if (typeof error === 'object' && error !== null && 'message' in error && typeof (error as { message: unknown }).message === 'string') {
    return (error as { message: string }).message;
  }
  return JSON.stringify(error);
}
