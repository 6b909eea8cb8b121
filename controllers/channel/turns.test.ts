import { describe, expect, it } from '@jest/globals';
import type { ChannelMessage } from '../../api/journal/channel-messages.js';
import { mentionsIn, nextTurn, type TurnRules } from './turns.js';

/** A conversation built message by message, with journal-like sequences (gaps allowed). */
class Conversation {
  readonly messages: ChannelMessage[] = [];
  private seq = 10;

  person(text: string, name = 'alice'): number {
    return this.push({ author: { kind: 'participant', name }, text });
  }
  /** Agent `agent` takes the next turn, answering `replyTo`. */
  agent(agent: string, text: string, replyTo?: number): number {
    const turn = this.messages.filter((m) => m.turn !== undefined).length + 1;
    return this.push({ author: { kind: 'agent', name: agent }, text, turn, agent, run: `ch-turn-${turn}`, outcome: 'Completed', ...(replyTo !== undefined ? { replyTo } : {}) });
  }
  /** Agent `agent`'s turn ended without a reply: the channel's note. */
  failed(agent: string, replyTo?: number): number {
    const turn = this.messages.filter((m) => m.turn !== undefined).length + 1;
    return this.push({ author: { kind: 'controller', name: 'channel-controller' }, text: `${agent} did not answer`, turn, agent, outcome: 'Failed', ...(replyTo !== undefined ? { replyTo } : {}) });
  }
  private push(m: Omit<ChannelMessage, 'sequence' | 'time'>): number {
    this.seq += 3;
    this.messages.push({ ...m, sequence: this.seq, time: '2026-01-01T00:00:00.000Z' });
    return this.seq;
  }
}

const rr: TurnRules = { turnPolicy: 'RoundRobin', agents: ['a', 'b'], topic: 'release plan' };

describe('mentionsIn', () => {
  it.each([
    ['@b what do you think?', ['b']],
    ['@a and @b, then @a again', ['a', 'b']],
    ['ask @ab or @a.', ['a']],
    ['mail me at x@b.com', []],
    ['@B shouting', ['b']],
    ['(@b)', ['b']],
    ['@c is not in the channel', []],
  ])('%j → %j', (text, expected) => {
    expect(mentionsIn(text, ['a', 'b'])).toEqual(expected);
  });
});

describe('nextTurn: RoundRobin', () => {
  it('opens with the first agent when there is a topic, and waits without one', () => {
    expect(nextTurn(rr, [])).toEqual({ kind: 'speak', turns: 0, turn: 1, agent: 'a' });
    expect(nextTurn({ ...rr, topic: undefined }, [])).toMatchObject({ kind: 'idle', why: expect.stringContaining('topic') });
  });

  it('goes through the agents in order, whatever people post in between', () => {
    const c = new Conversation();
    const order: string[] = [];
    for (let i = 0; i < 5; i++) {
      const d = nextTurn(rr, c.messages);
      if (d.kind !== 'speak') throw new Error(`expected a turn, got ${d.kind}`);
      order.push(d.agent);
      c.agent(d.agent, `turn ${d.turn}`);
      if (i === 1) c.person('keep going');
    }
    expect(order).toEqual(['a', 'b', 'a', 'b', 'a']);
  });

  it('never skips: a turn that failed counts as taken and the order goes on', () => {
    const c = new Conversation();
    c.agent('a', 'hi');
    c.failed('b');
    expect(nextTurn(rr, c.messages)).toMatchObject({ kind: 'speak', turn: 3, agent: 'a' });
  });

  it('is muted after maxTurns agent turns; people posts do not count', () => {
    const c = new Conversation();
    c.agent('a', '1');
    c.person('hello');
    c.agent('b', '2');
    expect(nextTurn({ ...rr, maxTurns: 3 }, c.messages)).toMatchObject({ kind: 'speak', turn: 3 });
    expect(nextTurn({ ...rr, maxTurns: 2 }, c.messages)).toEqual({ kind: 'muted', turns: 2 });
  });

  it('answers the last message', () => {
    const c = new Conversation();
    const last = c.person('start');
    expect(nextTurn(rr, c.messages)).toMatchObject({ replyTo: last });
  });
});

describe('nextTurn: FreeForm', () => {
  const ff: TurnRules = { turnPolicy: 'FreeForm', agents: ['a', 'b'] };

  it('waits for a person, then every agent answers once, in order', () => {
    const c = new Conversation();
    expect(nextTurn(ff, c.messages)).toMatchObject({ kind: 'idle', why: expect.stringContaining('person') });
    const p = c.person('what now?');
    expect(nextTurn(ff, c.messages)).toEqual({ kind: 'speak', turns: 0, turn: 1, agent: 'a', replyTo: p });
    c.agent('a', 'this', p);
    expect(nextTurn(ff, c.messages)).toMatchObject({ agent: 'b', replyTo: p, turn: 2 });
    c.agent('b', 'that', p);
    expect(nextTurn(ff, c.messages)).toMatchObject({ kind: 'idle', why: expect.stringContaining('every agent answered') });
  });

  it('starts a new round for a new post, even when a turn answered the previous one after it arrived', () => {
    const c = new Conversation();
    const p1 = c.person('first');
    c.agent('a', 'to first', p1);
    const p2 = c.person('second');
    // b's turn was under way for p1 when p2 arrived: its reply answers p1, not p2.
    c.agent('b', 'to first too', p1);
    expect(nextTurn(ff, c.messages)).toMatchObject({ agent: 'a', replyTo: p2 });
  });

  it('has nothing to do without agents', () => {
    const c = new Conversation();
    c.person('anyone?');
    expect(nextTurn({ turnPolicy: 'FreeForm' }, c.messages)).toMatchObject({ kind: 'idle', why: expect.stringContaining('no agents') });
  });
});

describe('nextTurn: RequestBased', () => {
  const rb: TurnRules = { turnPolicy: 'RequestBased', agents: ['a', 'b'] };

  it('stays quiet until a message addresses an agent, then only that agent answers', () => {
    const c = new Conversation();
    c.person('hello everyone');
    expect(nextTurn(rb, c.messages)).toMatchObject({ kind: 'idle' });
    const ask = c.person('@b your view?');
    expect(nextTurn(rb, c.messages)).toEqual({ kind: 'speak', turns: 0, turn: 1, agent: 'b', replyTo: ask });
    c.agent('b', 'mine', ask);
    expect(nextTurn(rb, c.messages)).toMatchObject({ kind: 'idle' });
  });

  it('lets agents address each other, answers requests in order, and ignores an agent addressing itself', () => {
    const c = new Conversation();
    const ask = c.person('@a @b both of you');
    c.agent('a', 'me first; @a noted; over to @b', ask);
    const handOver = c.messages.at(-1)!.sequence;
    // b owes the person's request first, then a's.
    expect(nextTurn(rb, c.messages)).toMatchObject({ agent: 'b', replyTo: ask });
    c.agent('b', 'done', ask);
    expect(nextTurn(rb, c.messages)).toMatchObject({ agent: 'b', replyTo: handOver });
    c.failed('b', handOver);
    expect(nextTurn(rb, c.messages)).toMatchObject({ kind: 'idle' });
  });
});
