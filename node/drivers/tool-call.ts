/**
 * Runs one tool call for a driver that owns its tool loop (Scripted, OpenAI): announces it, asks
 * the broker for permission (a refusal or a failed check becomes the result the agent sees — fail
 * closed), executes it, and reports the result. Every `tool.invoked` gets exactly one `tool.result`,
 * even when the run is interrupted mid-call, so the journal never shows a call without an outcome.
 */
import type { DriverEvent, DriverStartContext, PermissionDecision, ToolCall } from './contract.js';
import { abortable, isAbort } from './delay.js';

export type ToolResultEvent = Extract<DriverEvent, { type: 'tool.result' }>;

/** Output of a call cut short by an interrupt; the caller stops after reporting it. */
export const INTERRUPTED_OUTPUT = 'interrupted: the run was stopped before this tool call finished';

/** Tools that only read: running one again after a daemon restart cannot change anything. */
const IDEMPOTENT_TOOLS = new Set(['ReadFile', 'ListFiles']);

/** What the agent is told about a call that was in flight when the daemon stopped. */
export const SKIPPED_OUTPUT =
  'not run again: the daemon restarted while this tool call was running, so it may or may not have taken effect. Check the workspace before repeating it.';

/** Runs `call` through `ctx.tools`, emitting tool.invoked and tool.result; returns the result event. */
export async function runToolCall(ctx: DriverStartContext, call: ToolCall, signal: AbortSignal): Promise<ToolResultEvent> {
  const started = Date.now();
  const interrupted = ctx.interruptedCalls?.indexOf(call.callId) ?? -1;
  if (interrupted >= 0) {
    // The call was running when the daemon stopped: only a call without side effects runs again.
    ctx.interruptedCalls!.splice(interrupted, 1);
    if (!IDEMPOTENT_TOOLS.has(call.tool)) {
      ctx.emit({ type: 'tool.skipped_during_recovery', callId: call.callId, tool: call.tool, input: call.input });
      const event: ToolResultEvent = { type: 'tool.result', callId: call.callId, tool: call.tool, ok: false, output: SKIPPED_OUTPUT, durationMs: 0 };
      ctx.emit(event);
      return event;
    }
    ctx.emit({ type: 'tool.replayed', callId: call.callId, tool: call.tool, input: call.input });
  } else {
    ctx.emit({ type: 'tool.invoked', callId: call.callId, tool: call.tool, input: call.input });
  }
  const finish = (fields: Omit<ToolResultEvent, 'type' | 'callId' | 'tool'>): ToolResultEvent => {
    const event: ToolResultEvent = { type: 'tool.result', callId: call.callId, tool: call.tool, ...fields };
    ctx.emit(event);
    return event;
  };

  let decision: PermissionDecision;
  try {
    decision = await abortable(ctx.tools.permission(call), signal);
  } catch (err) {
    if (isAbort(err)) return finish({ ok: false, output: INTERRUPTED_OUTPUT, durationMs: Date.now() - started });
    decision = { allow: false, reason: `permission check failed: ${(err as Error).message}` };
  }
  if (!decision.allow) return finish({ ok: false, output: `refused: ${decision.reason ?? 'permission denied'}`, durationMs: Date.now() - started });

  try {
    const result = await ctx.tools.execute(call, signal);
    if (signal.aborted && !result.ok) return finish({ ok: false, output: INTERRUPTED_OUTPUT, durationMs: result.durationMs });
    return finish({
      ok: result.ok,
      output: result.output,
      durationMs: result.durationMs,
      ...(result.exitCode !== undefined ? { exitCode: result.exitCode } : {}),
      ...(result.truncated !== undefined ? { truncated: result.truncated } : {}),
    });
  } catch (err) {
    const output = signal.aborted || isAbort(err) ? INTERRUPTED_OUTPUT : `error: ${(err as Error).message}`;
    return finish({ ok: false, output, durationMs: Date.now() - started });
  }
}

/** Reports a call that cannot run at all (unknown tool, unparseable arguments) without asking for permission. */
export function rejectToolCall(ctx: DriverStartContext, call: ToolCall, output: string): ToolResultEvent {
  ctx.emit({ type: 'tool.invoked', callId: call.callId, tool: call.tool, input: call.input });
  const event: ToolResultEvent = { type: 'tool.result', callId: call.callId, tool: call.tool, ok: false, output, durationMs: 0 };
  ctx.emit(event);
  return event;
}
