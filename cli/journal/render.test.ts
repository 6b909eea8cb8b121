/** The journal renderer: conversation lines, timeline summaries and colours, from hand-made events. */
import { describe, it, expect } from '@jest/globals';
import { ConversationRenderer, eventTime, paletteFor, payloadSummary, timelineLine, timelineWidths, toolInputSummary } from './render.js';
import type { JournalEvent } from '../../api/journal/event.js';

let sequence = 0;
function ev(type: string, payload: Record<string, unknown> = {}, extra: Partial<JournalEvent> = {}): JournalEvent {
  sequence += 1;
  return { id: `id-${sequence}`, session: 'default/s', sequence, time: '2026-01-01T00:00:00.000Z', type, actor: { kind: 'agent', name: 'a' }, run: 'r', payload, prevHash: '', hash: '', ...extra };
}

const plain = paletteFor({ isTTY: false }, {});

describe('toolInputSummary', () => {
  it.each([
    [{ command: 'npm test' }, 'npm test'],
    [{ path: 'src/a.ts', oldText: 'x' }, 'src/a.ts'],
    [{ command: ['git', 'status'] }, 'git status'],
    [{ content: 'first\nsecond' }, 'first'],
    ['raw text', 'raw text'],
    [undefined, ''],
  ])('%j → %j', (input, expected) => {
    expect(toolInputSummary(input)).toBe(expected);
  });
});

describe('ConversationRenderer', () => {
  it('renders messages, thinking, steering and tool calls with their results', () => {
    const r = new ConversationRenderer(plain);
    expect(r.render(ev('assistant.message', { text: 'hi' }))).toEqual(['[assistant] hi']);
    expect(r.render(ev('assistant.thinking', { text: 'hmm' }))).toEqual(['[thinking] hmm']);
    expect(r.render(ev('user.message', { text: 'keep the cookie', source: 'steer' }))).toEqual(['[steer] keep the cookie']);
    expect(r.render(ev('tool.invoked', { callId: 'c1', tool: 'RunCommand', input: { command: 'npm test' } }))).toEqual(['[tool] RunCommand npm test']);
    expect(r.render(ev('tool.skipped_during_recovery', { callId: 'c0', tool: 'RunCommand', input: { command: 'make' } }))).toEqual([
      '[tool] RunCommand make (interrupted by a daemon restart; not run again)',
    ]);
    const output = Array.from({ length: 14 }, (_, i) => `line ${i + 1}`).join('\n');
    const lines = r.render(ev('tool.result', { callId: 'c1', tool: 'RunCommand', ok: true, exitCode: 0, durationMs: 3200, output }));
    expect(lines[0]).toBe('[tool] RunCommand npm test → exit 0 (3.2s)');
    expect(lines.slice(1)).toEqual([...Array.from({ length: 10 }, (_, i) => `    line ${i + 1}`), '    … (4 more lines)']);
    expect(r.render(ev('tool.error', { callId: 'c2', tool: 'EditFile', ok: false, output: 'oldText not found' }))).toEqual(['[tool] EditFile → error', '    oldText not found']);
  });

  it('ends with the Completed line from the diff and the branch, or the failure reason', () => {
    const r = new ConversationRenderer(plain);
    expect(r.render(ev('diff.created', { files: 2, insertions: 41, deletions: 7 }))).toEqual([]);
    const run = { apiVersion: 'v', kind: 'Run', metadata: { name: 'r' }, spec: { session: 's' }, status: { workspace: { branch: 'sidekicks/s/r' } } };
    expect(r.render(ev('run.Completed', {}), run)).toEqual(['[run] Completed: 2 files changed, +41 -7 · branch sidekicks/s/r']);
    expect(r.render(ev('run.Failed', { reason: 'Timeout', message: 'no output for 600s' }))).toEqual(['[run] Failed: Timeout: no output for 600s']);
    expect(r.render(ev('usage.tokens', { inputTokens: 1 }))).toEqual([]);
  });

  it('colours only on a terminal without NO_COLOR', () => {
    const tty = new ConversationRenderer(paletteFor({ isTTY: true }, {}));
    expect(tty.render(ev('assistant.thinking', { text: 'hmm' }))[0]).toBe('\u001b[2m[thinking] hmm\u001b[22m');
    const noColor = new ConversationRenderer(paletteFor({ isTTY: true }, { NO_COLOR: '1' }));
    expect(noColor.render(ev('assistant.thinking', { text: 'hmm' }))).toEqual(['[thinking] hmm']);
  });
});

describe('timeline lines', () => {
  // Local times, as the timeline prints them: 09:05:07 and 09:10:00 on 1 January, `now` 09:10:10.
  const at = (h: number, m: number, sec: number, day = 1) => new Date(2026, 0, day, h, m, sec).toISOString();
  const now = new Date(2026, 0, 1, 9, 10, 10).getTime();

  it('aligns columns across events: sequence, local time, age, type, actor, summary', () => {
    const events = [
      ev('session.created', { title: 'T' }, { sequence: 1, time: at(9, 5, 7), actor: { kind: 'controller', name: 'session-controller' }, run: undefined }),
      ev('tool.invoked', { tool: 'ReadFile', input: { path: 'a.txt' } }, { sequence: 10, time: at(9, 10, 0) }),
    ];
    const w = timelineWidths(events, now);
    expect(events.map((e) => timelineLine(e, w, now))).toEqual([
      '#1   09:05:07  5m3s  session.created  controller/session-controller  title=T',
      '#10  09:10:00  10s   tool.invoked     agent/a                        ReadFile a.txt',
    ]);
    expect(payloadSummary(ev('usage.tokens', { inputTokens: 5, outputTokens: 2, total: 7 }))).toBe('+5 in / +2 out (total 7)');
  });

  it('dates an event from another day; -f lines use fixed widths', () => {
    const yesterday = ev('run.Running', {}, { sequence: 3, time: at(23, 0, 0, 0) });
    expect(eventTime(yesterday, now)).toBe('2025-12-31 23:00:00');
    expect(timelineLine(yesterday, timelineWidths([yesterday], now), now)).toBe('#3  2025-12-31 23:00:00  10h  run.Running  agent/a  run/r');
    const live = ev('assistant.message', { text: 'hi' }, { sequence: 4, time: at(9, 10, 9) });
    expect(timelineLine(live, undefined, now)).toBe(`#4   09:10:09  1s    assistant.message     agent/a${' '.repeat(25)}hi`);
  });
});
