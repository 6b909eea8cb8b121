import { describe, expect, it } from '@jest/globals';
import { PassThrough } from 'node:stream';
import { readLines } from './line-reader.js';
import { encodeMessage, parseDaemonToHost, parseHostToDaemon } from './protocol.js';

const agent = { name: 'a', driver: 'Scripted', tools: ['ReadFile'], maxTurns: 5, env: {}, script: [{ say: 'hi' }] };
const start = {
  type: 'start',
  run: { namespace: 'default', name: 'r', uid: 'u1', session: 's' },
  prompt: 'go',
  agent,
  workspace: { path: '/tmp/w', readOnly: false },
  allowEnvPassthrough: false,
};

describe('protocol parsing', () => {
  it.each([
    ['start', start],
    ['start with checkpoint', { ...start, checkpoint: { transcript: [{ role: 'user', content: 'go', source: 'prompt' }], cursor: 1, turns: 1 } }],
    ['send', { type: 'send', text: 'answer', source: 'user' }],
    ['steer', { type: 'steer', id: 's1', text: 'faster' }],
    ['interrupt', { type: 'interrupt' }],
    ['permission.reply', { type: 'permission.reply', requestId: 'p1', allow: false, reason: 'no' }],
    ['close', { type: 'close' }],
  ])('accepts a daemon %s message', (_name, message) => {
    const parsed = parseDaemonToHost(JSON.stringify(message));
    expect(parsed).toEqual({ ok: true, message });
  });

  it.each([
    ['not JSON', '{"type":', /not JSON/],
    ['unknown type', '{"type":"explode"}', /invalid explode message/],
    ['start without workspace', JSON.stringify({ ...start, workspace: undefined }), /invalid start message/],
    ['start with an unknown driver', JSON.stringify({ ...start, agent: { ...agent, driver: 'Gemini' } }), /invalid start message/],
    ['script step with an unknown verb', JSON.stringify({ ...start, agent: { ...agent, script: [{ dance: true }] } }), /invalid start message/],
    ['array', '[]', /invalid \? message/],
  ])('rejects a daemon line: %s', (_name, line, error) => {
    const parsed = parseDaemonToHost(line);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toMatch(error);
  });

  it.each([
    ['event', { type: 'event', event: { type: 'tool.result', callId: 'c', tool: 'ReadFile', ok: true, output: 'x', durationMs: 3 } }],
    ['run.failed', { type: 'event', event: { type: 'run.failed', category: 'Transport', reason: 'DriverCrashed', message: 'm' } }],
    ['permission.request', { type: 'permission.request', requestId: 'p1', call: { callId: 'c', tool: 'RunCommand', input: { command: 'ls' } } }],
    ['steer.result', { type: 'steer.result', id: 's1', outcome: 'degraded' }],
    ['capabilities', { type: 'capabilities', driver: 'OpenAI', capabilities: { resume: true, steer: false, interactiveRequests: false, toolCalls: true, reasoningStream: false } }],
    ['exit', { type: 'exit', status: 'interrupted' }],
  ])('accepts a host %s message', (_name, message) => {
    expect(parseHostToDaemon(JSON.stringify(message))).toEqual({ ok: true, message });
  });

  it.each([
    ['an event with an unknown failure category', { type: 'event', event: { type: 'run.failed', category: 'Cosmic', reason: 'r', message: 'm' } }],
    ['a steer result with an unknown outcome', { type: 'steer.result', id: 's1', outcome: 'maybe' }],
    ['an exit with an unknown status', { type: 'exit', status: 'exploded' }],
  ])('rejects %s', (_name, message) => {
    expect(parseHostToDaemon(JSON.stringify(message)).ok).toBe(false);
  });

  it('encodes a message as one line even when strings hold newlines', () => {
    const line = encodeMessage({ type: 'send', text: 'a\nb', source: 'user' });
    expect(line.split('\n')).toHaveLength(2);
    expect(line.endsWith('\n')).toBe(true);
  });
});

describe('readLines', () => {
  it('splits chunks into lines, joins split lines and drops oversized ones', async () => {
    const stream = new PassThrough();
    const lines: string[] = [];
    const overflows: number[] = [];
    const ended = new Promise<void>((resolve) =>
      readLines(stream, { onLine: (l) => lines.push(l), onOverflow: (n) => overflows.push(n), onEnd: () => resolve(), maxLineBytes: 10 }),
    );
    stream.write('one\ntw');
    stream.write('o\r\n\n');
    stream.write('x'.repeat(8));
    stream.write('y'.repeat(8));
    stream.write('zz\nthree\nlast');
    stream.end();
    await ended;
    expect(lines).toEqual(['one', 'two', 'three', 'last']);
    expect(overflows).toEqual([18]);
  });
});
