import { describe, expect, it } from '@jest/globals';
import type { ChannelMessage } from '../../api/journal/channel-messages.js';
import { planChannel, type ChannelWorld } from './channel-plan.js';

const at = '2026-01-01T00:00:00.000Z';
const said = (sequence: number, agent: string, turn: number): ChannelMessage => ({ sequence, time: at, author: { kind: 'agent', name: agent }, text: `${agent} says`, turn, agent });

function world(over: Partial<ChannelWorld> = {}): ChannelWorld {
  return {
    rules: { turnPolicy: 'RoundRobin', agents: ['a', 'b'], topic: 'plan', maxTurns: 4 },
    sessionName: 's',
    session: 'Ready',
    messages: [],
    unavailable: () => undefined,
    ...over,
  };
}

describe('planChannel', () => {
  it('starts the next turn when its agent is available', () => {
    expect(planChannel(world({ messages: [said(5, 'a', 1)] }))).toEqual({
      phase: 'Active',
      turn: 1,
      nextSpeaker: 'b',
      ready: { type: 'Ready', status: 'True', reason: 'Speaking', message: 'agent "b" is taking turn 2' },
      action: { type: 'start', turn: 2, agent: 'b', replyTo: 5 },
    });
  });

  it('pauses (never skips) while the next agent is missing or unavailable, saying which and why', () => {
    const plan = planChannel(world({ messages: [said(5, 'a', 1)], unavailable: (a) => (a === 'b' ? { reason: 'AgentNotFound', message: 'agent "b" not found' } : undefined) }));
    expect(plan.action).toEqual({ type: 'none' });
    expect(plan.nextSpeaker).toBe('b');
    expect(plan.ready).toEqual({
      type: 'Ready',
      status: 'False',
      reason: 'AgentNotFound',
      message: 'paused at turn 2, which is agent "b"\'s: agent "b" not found; RoundRobin never skips a turn: the channel continues when the agent is available',
    });
  });

  it('waits for the turn in progress and posts its reply once the run ended', () => {
    const running = planChannel(world({ messages: [said(5, 'a', 1)], current: { name: 'c-turn-2', agent: 'b', phase: 'Running', ours: true } }));
    expect(running).toMatchObject({ nextSpeaker: 'b', action: { type: 'none' }, ready: { reason: 'Speaking', message: 'agent "b" is taking turn 2 (run c-turn-2, Running)' } });
    for (const phase of ['Completed', 'Failed', 'Interrupted', 'Canceled'] as const) {
      expect(planChannel(world({ current: { name: 'c-turn-1', agent: 'a', phase, ours: true } })).action).toEqual({ type: 'post', run: 'c-turn-1' });
    }
  });

  it('posts the reply of a turn in progress even after maxTurns was lowered', () => {
    expect(planChannel(world({ rules: { turnPolicy: 'RoundRobin', agents: ['a'], maxTurns: 1 }, messages: [said(5, 'a', 1)], current: { name: 'c-turn-2', agent: 'a', phase: 'Completed', ours: true } })).action).toEqual({
      type: 'post',
      run: 'c-turn-2',
    });
  });

  it('is muted after maxTurns', () => {
    const messages = [said(1, 'a', 1), said(2, 'b', 2), said(3, 'a', 3), said(4, 'b', 4)];
    expect(planChannel(world({ messages }))).toEqual({
      phase: 'Muted',
      turn: 4,
      ready: { type: 'Ready', status: 'True', reason: 'MaxTurnsReached', message: '4 of 4 agent turns taken: the channel is muted (raise spec.maxTurns to continue)' },
      action: { type: 'none' },
    });
  });

  it('does nothing in an archived, missing or unobserved session, or when its turn name is taken', () => {
    expect(planChannel(world({ session: 'Archived' }))).toMatchObject({ phase: 'Archived', action: { type: 'none' }, ready: { status: 'False', reason: 'SessionArchived' } });
    expect(planChannel(world({ session: 'Missing' }))).toMatchObject({ action: { type: 'none' }, ready: { status: 'False', reason: 'SessionNotFound', message: 'session "s" not found' } });
    expect(planChannel(world({ session: 'NotReady' }))).toMatchObject({ action: { type: 'none' }, ready: { reason: 'SessionNotReady' } });
    expect(planChannel(world({ current: { name: 'c-turn-1', agent: 'x', phase: 'Completed', ours: false } }))).toMatchObject({ action: { type: 'none' }, ready: { status: 'False', reason: 'RunNameTaken' } });
  });
});
