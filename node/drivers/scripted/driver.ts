/**
 * The Scripted driver: plays `agent.script` step by step through the same tool broker a model
 * would use. Deterministic, for demos, tests and reproducing a journal. It checkpoints after every
 * step (cursor = the next step), so a resumed run continues where it stopped and never replays a
 * completed step.
 */
import type { ScriptStep } from '../../../resources/kinds/agent-script.js';
import { turnsExhausted, type DriverCapabilities, type DriverEvent, type DriverStartContext, type TranscriptMessage } from '../contract.js';
import { delay, isAbort } from '../delay.js';
import { userMessage } from '../inbox.js';
import { OwnLoopDriver } from '../own-loop-driver.js';
import { runToolCall } from '../tool-call.js';

interface ScriptState {
  transcript: TranscriptMessage[];
  cursor: number;
  turns: number;
  /** The last `say`: the run's summary. */
  summary?: string;
}

/** What a step leads to. A failure is emitted by the loop, after the step's checkpoint, so it is the run's last event. */
type StepOutcome = 'next' | 'stopped' | { failed: Extract<DriverEvent, { type: 'run.failed' }>; advance: boolean };

/** Plays a script of say / think / tool / ask / wait / fail / usage steps as driver events. */
export class ScriptedDriver extends OwnLoopDriver {

  capabilities(): DriverCapabilities {
    return { resume: true, steer: false, interactiveRequests: true, toolCalls: true, reasoningStream: true };
  }

  async start(ctx: DriverStartContext): Promise<void> {
    const signal = AbortSignal.any([ctx.signal, this.stop.signal]);
    const script = ctx.agent.script ?? [];
    const state = initialState(ctx, script);
    const checkpoint = () =>
      ctx.emit({ type: 'checkpoint', checkpoint: { transcript: [...state.transcript], cursor: state.cursor, turns: state.turns } });

    while (state.cursor < script.length) {
      this.applyInbox(state.transcript);
      if (signal.aborted) return checkpoint();
      const outcome = await this.playStep(ctx, script[state.cursor]!, state, signal);
      if (outcome === 'stopped') {
        this.applyInbox(state.transcript);
        return checkpoint();
      }
      if (outcome !== 'next' && !outcome.advance) return ctx.emit(outcome.failed);
      state.cursor += 1;
      this.applyInbox(state.transcript);
      checkpoint();
      if (outcome !== 'next') return ctx.emit(outcome.failed);
    }
    ctx.emit({ type: 'run.completed', ...(state.summary !== undefined ? { summary: state.summary } : {}) });
  }

  private async playStep(ctx: DriverStartContext, step: ScriptStep, state: ScriptState, signal: AbortSignal): Promise<StepOutcome> {
    const talks = step.say !== undefined || step.think !== undefined || step.tool !== undefined || step.ask !== undefined;
    if (talks) {
      if (state.turns >= ctx.agent.maxTurns) {
        return { failed: turnsExhausted(ctx.agent.maxTurns), advance: false };
      }
      state.turns += 1;
      ctx.emit({ type: 'turn', turn: state.turns });
    }
    const outcome = await this.playVerb(ctx, step, state, signal);
    if (outcome === 'next' && step.usage) {
      ctx.emit({
        type: 'usage',
        inputTokens: step.usage.inputTokens ?? 0,
        outputTokens: step.usage.outputTokens ?? 0,
        ...(step.usage.costUSD !== undefined ? { costUSD: step.usage.costUSD } : {}),
      });
    }
    return outcome;
  }

  private async playVerb(ctx: DriverStartContext, step: ScriptStep, state: ScriptState, signal: AbortSignal): Promise<StepOutcome> {
    if (step.say !== undefined) {
      ctx.emit({ type: 'assistant.message', text: step.say });
      state.transcript.push({ role: 'assistant', content: step.say });
      state.summary = step.say;
      return 'next';
    }
    if (step.think !== undefined) {
      ctx.emit({ type: 'assistant.thinking', text: step.think });
      return 'next';
    }
    if (step.tool !== undefined) {
      // Derived from the step index: a step replayed after a crash keeps its call id.
      const call = { callId: `step-${state.cursor}`, tool: step.tool, input: step.input ?? {} };
      const result = await runToolCall(ctx, call, signal);
      if (signal.aborted) return 'stopped';
      state.transcript.push(
        { role: 'assistant', content: '', toolCalls: [{ id: call.callId, name: call.tool, arguments: JSON.stringify(call.input) }] },
        { role: 'tool', content: result.output, toolCallId: call.callId },
      );
      return 'next';
    }
    if (step.ask !== undefined) {
      ctx.emit({ type: 'request.input', requestId: `ask-${state.cursor}`, question: step.ask });
      try {
        // A steer does not answer the question; it stays queued for the next safe point.
        const answer = await this.inbox.next(signal, (m) => m.source !== 'steer');
        state.transcript.push({ role: 'assistant', content: step.ask }, userMessage(answer));
        return 'next';
      } catch (err) {
        if (isAbort(err)) return 'stopped';
        throw err;
      }
    }
    if (step.wait !== undefined) {
      try {
        await delay(step.wait * 1000, signal);
        return 'next';
      } catch (err) {
        if (isAbort(err)) return 'stopped';
        throw err;
      }
    }
    if (step.fail !== undefined) {
      return { failed: { type: 'run.failed', category: 'Provider', reason: 'ScriptFailed', message: step.fail }, advance: true };
    }
    return 'next';
  }
}

function initialState(ctx: DriverStartContext, script: ScriptStep[]): ScriptState {
  if (ctx.checkpoint) {
    const cursor = Math.min(ctx.checkpoint.cursor ?? 0, script.length);
    const summary = script.slice(0, cursor).findLast((s) => s.say !== undefined)?.say;
    return { transcript: [...ctx.checkpoint.transcript], cursor, turns: ctx.checkpoint.turns, ...(summary !== undefined ? { summary } : {}) };
  }
  const transcript: TranscriptMessage[] = [];
  if (ctx.agent.instructions) transcript.push({ role: 'system', content: ctx.agent.instructions });
  transcript.push({ role: 'user', content: ctx.prompt, source: 'prompt' });
  return { transcript, cursor: 0, turns: 0 };
}
