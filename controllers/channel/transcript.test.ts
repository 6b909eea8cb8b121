import { describe, expect, it } from '@jest/globals';
import type { ChannelMessage } from '../../api/journal/channel-messages.js';
import { transcriptOf, turnPrompt } from './transcript.js';

const at = '2026-01-01T00:00:00.000Z';
const person = (sequence: number, text: string): ChannelMessage => ({ sequence, time: at, author: { kind: 'participant', name: 'alice' }, text });
const agent = (sequence: number, name: string, text: string, turn: number): ChannelMessage => ({ sequence, time: at, author: { kind: 'agent', name }, text, turn, agent: name });
const note = (sequence: number, text: string, turn: number): ChannelMessage => ({ sequence, time: at, author: { kind: 'controller', name: 'channel-controller' }, text, turn, agent: 'b' });

describe('turnPrompt', () => {
  const messages = [person(3, 'Plan the release.'), agent(7, 'a', 'Ship on Friday.\nAfter the freeze.', 1), note(9, 'b did not answer: run x Failed', 2)];

  it('carries the topic, then every message with its author, then asks for the next message', () => {
    const prompt = turnPrompt({ channel: 'debate', session: 's1', agent: 'b', agents: ['a', 'b'], turnPolicy: 'RoundRobin', topic: 'Release', messages, turn: 3, maxTurns: 4 });
    const lines = prompt.split('\n');
    expect(lines[0]).toBe('You are the agent "b" in the channel "debate" of session "s1", a conversation between people and the agents "a", "b". The agents speak in turn, in that order.');
    const topic = lines.indexOf('Topic: Release');
    const start = lines.indexOf('Conversation so far (oldest first):');
    expect(topic).toBeGreaterThan(0);
    expect(start).toBeGreaterThan(topic);
    expect(lines.slice(start + 1, start + 5)).toEqual([
      'alice (person): Plan the release.',
      'a (agent): Ship on Friday.',
      '  After the freeze.',
      'channel: b did not answer: run x Failed',
    ]);
    expect(lines.at(-1)).toMatch(/^It is your turn \(turn 3 of 4\)\. Write your next message to the channel and reply with that message only: it is posted to the channel as "b" for "a" and the people to read\.$/);
  });

  it('says who is answered when a turn answers a message, and when nobody spoke yet', () => {
    const answering = turnPrompt({ channel: 'c', session: 's', agent: 'a', agents: ['a'], turnPolicy: 'FreeForm', messages, turn: 3, replyTo: 3 });
    expect(answering).toContain('Answer the message from alice (person): "Plan the release.".');
    const opening = turnPrompt({ channel: 'c', session: 's', agent: 'a', agents: ['a', 'b'], turnPolicy: 'RoundRobin', topic: 't', messages: [], turn: 1 });
    expect(opening).toContain('Nobody has spoken yet: you open the conversation.');
    expect(opening).not.toContain('Conversation so far');
  });
});

describe('transcriptOf', () => {
  const many = Array.from({ length: 10 }, (_, i) => person(i + 1, `message ${i + 1}`));

  it('keeps the newest messages within the limits and counts those left out', () => {
    expect(transcriptOf(many, { messages: 3, chars: 10_000 })).toEqual({
      lines: ['alice (person): message 8', 'alice (person): message 9', 'alice (person): message 10'],
      omitted: 7,
    });
    const byChars = transcriptOf(many, { messages: 100, chars: 60 });
    expect(byChars.lines).toEqual(['alice (person): message 9', 'alice (person): message 10']);
    expect(byChars.omitted).toBe(8);
  });

  it('always keeps the newest message, cut to the limit', () => {
    const { lines, omitted } = transcriptOf([person(1, 'old'), person(2, 'x'.repeat(500))], { messages: 10, chars: 100 });
    expect(omitted).toBe(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toBe(`${`alice (person): ${'x'.repeat(500)}`.slice(0, 100)} …`);
  });

  it('tells the agent how many earlier messages were left out', () => {
    const long = Array.from({ length: 150 }, (_, i) => person(i + 1, `m${i + 1}`));
    const prompt = turnPrompt({ channel: 'c', session: 's', agent: 'a', agents: ['a'], turnPolicy: 'FreeForm', messages: long, turn: 1 });
    expect(prompt).toContain('(50 earlier messages left out)');
    expect(prompt).toContain('alice (person): m150');
    expect(prompt).not.toContain('alice (person): m50\n');
  });
});
