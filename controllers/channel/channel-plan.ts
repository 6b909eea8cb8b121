/**
 * What a channel should do next and what its status says, decided from the observed world only:
 * its session, its messages (the journal), the run of its next turn and which agents can speak.
 * Pure, so every branch is a table test; the reconciler only gathers the inputs and applies the
 * action.
 */
import { turnsTaken, type ChannelMessage } from '../../api/journal/channel-messages.js';
import { ChannelPhase, TurnPolicy } from '../../resources/kinds/channel.js';
import type { ConditionUpdate } from '../../resources/conditions.js';
import { isTerminalPhase, type RunPhase } from '../../resources/kinds/run.js';
import { nextTurn, type TurnRules } from './turns.js';

/** The state of the channel's session that matters to it. */
export type SessionState = 'Missing' | 'NotReady' | 'Archived' | 'Ready';

/** Why an agent cannot take its turn now. */
export interface Unavailability {
  reason: 'AgentNotFound' | 'AgentUnavailable';
  message: string;
}

/** The run named for the channel's next turn, when it exists. */
export interface TurnRun {
  name: string;
  agent: string;
  phase?: RunPhase;
  /** False when a run of that name exists but this channel did not start it. */
  ours: boolean;
}

export interface ChannelWorld {
  rules: TurnRules;
  sessionName: string;
  session: SessionState;
  messages: readonly ChannelMessage[];
  current?: TurnRun;
  /** Why `agent` cannot speak now, or undefined when it can. */
  unavailable(agent: string): Unavailability | undefined;
}

/** What the reconciler does: nothing, post the reply of an ended run, or start the next turn. */
export type ChannelAction =
  | { type: 'none' }
  | { type: 'post'; run: string }
  | { type: 'start'; turn: number; agent: string; replyTo?: number };

export interface ChannelPlan {
  phase: ChannelPhase;
  turn: number;
  nextSpeaker?: string;
  /** The `Ready` condition. */
  ready: ConditionUpdate;
  action: ChannelAction;
}

const none: ChannelAction = { type: 'none' };

/** Decides the channel's next step and its status. */
export function planChannel(w: ChannelWorld): ChannelPlan {
  const base = { phase: ChannelPhase.Active, turn: turnsTaken(w.messages) };
  const not = (reason: string, message: string, phase: ChannelPhase = ChannelPhase.Active): ChannelPlan => ({ ...base, phase, ready: { type: 'Ready', status: 'False', reason, message }, action: none });
  if (w.session === 'Missing') return not('SessionNotFound', `session "${w.sessionName}" not found`);
  if (w.session === 'Archived') return not('SessionArchived', 'the session is archived: the channel takes no more turns or posts', ChannelPhase.Archived);
  if (w.session === 'NotReady') return not('SessionNotReady', 'waiting for the session controller to observe the session');

  // One turn at a time: the run of the next turn, while it exists, is the turn in progress.
  const run = w.current;
  if (run && !run.ours) return not('RunNameTaken', `run "${run.name}" exists but this channel did not start it: delete it to let the channel continue`);
  if (run) {
    const speaking: ConditionUpdate = { type: 'Ready', status: 'True', reason: 'Speaking', message: `agent "${run.agent}" is taking turn ${base.turn + 1} (run ${run.name}${run.phase ? `, ${run.phase}` : ''})` };
    return { ...base, nextSpeaker: run.agent, ready: speaking, action: isTerminalPhase(run.phase) ? { type: 'post', run: run.name } : none };
  }

  const next = nextTurn(w.rules, w.messages);
  switch (next.kind) {
    case 'muted':
      return {
        ...base,
        phase: ChannelPhase.Muted,
        ready: { type: 'Ready', status: 'True', reason: 'MaxTurnsReached', message: `${next.turns} of ${w.rules.maxTurns} agent turns taken: the channel is muted (raise spec.maxTurns to continue)` },
        action: none,
      };
    case 'idle':
      return { ...base, ready: { type: 'Ready', status: 'True', reason: 'Idle', message: next.why }, action: none };
    case 'speak': {
      const why = w.unavailable(next.agent);
      if (why) {
        const rule = w.rules.turnPolicy === TurnPolicy.RoundRobin ? 'RoundRobin never skips a turn: ' : '';
        return {
          ...base,
          nextSpeaker: next.agent,
          ready: { type: 'Ready', status: 'False', reason: why.reason, message: `paused at turn ${next.turn}, which is agent "${next.agent}"'s: ${why.message}; ${rule}the channel continues when the agent is available` },
          action: none,
        };
      }
      return {
        ...base,
        nextSpeaker: next.agent,
        ready: { type: 'Ready', status: 'True', reason: 'Speaking', message: `agent "${next.agent}" is taking turn ${next.turn}` },
        action: { type: 'start', turn: next.turn, agent: next.agent, ...(next.replyTo !== undefined ? { replyTo: next.replyTo } : {}) },
      };
    }
  }
}
