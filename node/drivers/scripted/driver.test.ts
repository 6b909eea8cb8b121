import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { eventually } from '../../../test/eventually.js';
import type { ScriptStep } from '../../../resources/kinds/agent-script.js';
import type { DriverEvent } from '../contract.js';
import { ScriptedDriver } from './driver.js';
import { harness, tempWorkspace, testAgent } from '../test-harness.js';
import { alive } from '../../../test/support/process-alive.js';

let ws: Awaited<ReturnType<typeof tempWorkspace>>;
beforeEach(async () => (ws = await tempWorkspace()));
afterEach(async () => ws.cleanup());

const scripted = (script: ScriptStep[], extra: Partial<Parameters<typeof testAgent>[0]> = {}) => testAgent({ driver: 'Scripted', script, ...extra });
const ofType = <T extends DriverEvent['type']>(events: DriverEvent[], type: T) => events.filter((e): e is Extract<DriverEvent, { type: T }> => e.type === type);

describe('ScriptedDriver', () => {
  it('plays say, think, tool and usage steps in order and completes with the last say', async () => {
    await writeFile(path.join(ws.path, 'notes.txt'), 'hello from disk');
    const h = harness({
      agent: scripted([
        { think: 'Reading the notes first.' },
        { tool: 'ReadFile', input: { path: 'notes.txt' } },
        { tool: 'WriteFile', input: { path: 'out.txt', content: 'written' }, usage: { inputTokens: 10, outputTokens: 3 } },
        { say: 'Done: out.txt written.' },
      ], { instructions: 'Be brief.' }),
      workspace: ws.path,
    });
    const driver = new ScriptedDriver();
    expect(driver.capabilities()).toEqual({ resume: true, steer: false, interactiveRequests: true, toolCalls: true, reasoningStream: true });
    await driver.start(h.ctx);

    expect(h.types()).toEqual([
      'turn', 'assistant.thinking',
      'turn', 'tool.invoked', 'tool.result',
      'turn', 'tool.invoked', 'tool.result', 'usage',
      'turn', 'assistant.message',
      'run.completed',
    ]);
    expect(ofType(h.events, 'turn').map((e) => e.turn)).toEqual([1, 2, 3, 4]);
    const [read, write] = ofType(h.events, 'tool.result');
    expect(read).toMatchObject({ callId: 'step-1', tool: 'ReadFile', ok: true });
    expect(read!.output).toContain('hello from disk');
    expect(write).toMatchObject({ callId: 'step-2', tool: 'WriteFile', ok: true });
    expect(await readFile(path.join(ws.path, 'out.txt'), 'utf8')).toBe('written');
    expect(ofType(h.events, 'usage')).toEqual([{ type: 'usage', inputTokens: 10, outputTokens: 3 }]);
    expect(h.events.at(-1)).toEqual({ type: 'run.completed', summary: 'Done: out.txt written.' });

    // A checkpoint after every step, the cursor pointing at the next one.
    expect(ofType(h.events, 'checkpoint').map((e) => e.checkpoint.cursor)).toEqual([1, 2, 3, 4]);
    expect(h.lastCheckpoint()!.transcript).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Do the task.', source: 'prompt' },
      { role: 'assistant', content: '', toolCalls: [{ id: 'step-1', name: 'ReadFile', arguments: '{"path":"notes.txt"}' }] },
      { role: 'tool', content: read!.output, toolCallId: 'step-1' },
      { role: 'assistant', content: '', toolCalls: [{ id: 'step-2', name: 'WriteFile', arguments: '{"path":"out.txt","content":"written"}' }] },
      { role: 'tool', content: write!.output, toolCallId: 'step-2' },
      { role: 'assistant', content: 'Done: out.txt written.' },
    ]);
  });

  it('turns a refused permission into a failed tool result without running the tool', async () => {
    const h = harness({
      agent: scripted([{ tool: 'WriteFile', input: { path: 'x.txt', content: 'no' } }, { say: 'carried on' }]),
      workspace: ws.path,
      deny: () => 'policy says no',
    });
    await new ScriptedDriver().start(h.ctx);
    expect(ofType(h.events, 'tool.result')).toEqual([expect.objectContaining({ callId: 'step-0', ok: false, output: 'refused: policy says no' })]);
    expect(h.permissions).toEqual([{ callId: 'step-0', tool: 'WriteFile', input: { path: 'x.txt', content: 'no' } }]);
    await expect(readFile(path.join(ws.path, 'x.txt'))).rejects.toThrow();
    expect(h.events.at(-1)).toEqual({ type: 'run.completed', summary: 'carried on' });
  });

  it('asks for input and continues with the answer it is sent', async () => {
    const h = harness({ agent: scripted([{ ask: 'Which file?' }, { say: 'ok' }]), workspace: ws.path });
    const driver = new ScriptedDriver();
    const running = driver.start(h.ctx);
    await eventually(() => h.events.some((e) => e.type === 'request.input'));
    expect(ofType(h.events, 'request.input')).toEqual([{ type: 'request.input', requestId: 'ask-0', question: 'Which file?' }]);
    expect(await driver.steer('hurry up')).toBe('degraded');
    expect(h.types()).not.toContain('assistant.message');
    await driver.send('README.md');
    await running;
    expect(h.lastCheckpoint()!.transcript.slice(1)).toEqual([
      { role: 'assistant', content: 'Which file?' },
      { role: 'user', content: 'README.md', source: 'user' },
      { role: 'user', content: 'hurry up', source: 'steer' },
      { role: 'assistant', content: 'ok' },
    ]);
    expect(h.events.at(-1)).toEqual({ type: 'run.completed', summary: 'ok' });
  });

  it('stops a wait at interrupt, checkpoints, and resumes without repeating completed steps', async () => {
    const script: ScriptStep[] = [{ say: 'one' }, { wait: 600 }, { say: 'two' }];
    const first = harness({ agent: scripted(script), workspace: ws.path });
    const driver = new ScriptedDriver();
    const running = driver.start(first.ctx);
    await eventually(() => first.events.some((e) => e.type === 'assistant.message'));
    await driver.interrupt();
    await running;
    expect(first.types()).toEqual(['turn', 'assistant.message']);
    expect(first.events.at(-1)).toMatchObject({ type: 'checkpoint', checkpoint: { cursor: 1, turns: 1 } });

    const resumedScript: ScriptStep[] = [{ say: 'one' }, { wait: 0 }, { say: 'two' }];
    const second = harness({ agent: scripted(resumedScript), workspace: ws.path, checkpoint: first.lastCheckpoint()! });
    await new ScriptedDriver().start(second.ctx);
    expect(second.types()).toEqual(['turn', 'assistant.message', 'run.completed']);
    expect(ofType(second.events, 'assistant.message')).toEqual([{ type: 'assistant.message', text: 'two' }]);
    expect(ofType(second.events, 'turn')).toEqual([{ type: 'turn', turn: 2 }]);
    expect(second.lastCheckpoint()!.transcript.filter((m) => m.role === 'assistant').map((m) => m.content)).toEqual(['one', 'two']);
  });

  it('after a restart mid-call, skips an interrupted command, replays an interrupted read, and goes on', async () => {
    await writeFile(path.join(ws.path, 'notes.txt'), 'remember me\n');
    const script: ScriptStep[] = [
      { tool: 'RunCommand', input: { command: 'echo ran >> side-effect.txt' } },
      { tool: 'ReadFile', input: { path: 'notes.txt' } },
      { say: 'done' },
    ];
    // Killed during step 0; a second restart happened during step 1's read.
    const h = harness({ agent: scripted(script), workspace: ws.path, checkpoint: { transcript: [], cursor: 0, turns: 0 }, interruptedCalls: ['step-0', 'step-1'] });
    await new ScriptedDriver().start(h.ctx);
    expect(h.types()).toEqual(['turn', 'tool.skipped_during_recovery', 'tool.result', 'turn', 'tool.replayed', 'tool.result', 'turn', 'assistant.message', 'run.completed']);
    const [skipped, replayed] = ofType(h.events, 'tool.result');
    expect(skipped).toMatchObject({ callId: 'step-0', ok: false, output: expect.stringContaining('not run again') });
    expect(replayed).toMatchObject({ callId: 'step-1', ok: true, output: expect.stringContaining('remember me') });
    await expect(readFile(path.join(ws.path, 'side-effect.txt'), 'utf8')).rejects.toThrow();
  });

  it('resumes a run that was waiting for input and keeps the summary of earlier steps', async () => {
    const script: ScriptStep[] = [{ say: 'summary so far' }, { ask: 'Continue?' }, { think: 'fine' }];
    const first = harness({ agent: scripted(script), workspace: ws.path });
    const driver = new ScriptedDriver();
    const running = driver.start(first.ctx);
    await eventually(() => first.events.some((e) => e.type === 'request.input'));
    first.abort.abort();
    await running;
    expect(first.lastCheckpoint()).toMatchObject({ cursor: 1 });

    const second = harness({ agent: scripted(script), workspace: ws.path, checkpoint: first.lastCheckpoint()! });
    const resumed = new ScriptedDriver();
    const again = resumed.start(second.ctx);
    await eventually(() => second.events.some((e) => e.type === 'request.input'));
    await resumed.send('yes');
    await again;
    expect(second.types()).toEqual(['turn', 'request.input', 'turn', 'assistant.thinking', 'run.completed']);
    expect(second.events.at(-1)).toEqual({ type: 'run.completed', summary: 'summary so far' });
  });

  it('fails the run at a fail step', async () => {
    const h = harness({ agent: scripted([{ say: 'trying' }, { fail: 'the build is broken' }, { say: 'never' }]), workspace: ws.path });
    await new ScriptedDriver().start(h.ctx);
    expect(h.types()).toEqual(['turn', 'assistant.message', 'run.failed']);
    expect(h.events.at(-1)).toEqual({ type: 'run.failed', category: 'Provider', reason: 'ScriptFailed', message: 'the build is broken' });
  });

  it('fails with MaxTurns when the script talks more than maxTurns', async () => {
    const h = harness({ agent: scripted([{ say: 'a' }, { say: 'b' }, { say: 'c' }], { maxTurns: 2 }), workspace: ws.path });
    await new ScriptedDriver().start(h.ctx);
    expect(h.types()).toEqual(['turn', 'assistant.message', 'turn', 'assistant.message', 'run.failed']);
    expect(h.events.at(-1)).toMatchObject({ type: 'run.failed', category: 'Budget', reason: 'BudgetExhausted' });
  });

  // How fast an interrupt lands is measured by `npm run bench:control` (a pause interrupts the driver), not asserted here.
  it('aborts a running tool at interrupt and reports it as interrupted', async () => {
    // The command outlives any test timeout: the driver ends only because the interrupt stopped it.
    const h = harness({ agent: scripted([{ tool: 'RunCommand', input: { command: 'echo $$ > sleep.pid; exec sleep 300' } }, { say: 'never' }]), workspace: ws.path });
    const driver = new ScriptedDriver();
    const running = driver.start(h.ctx);
    const pid = await eventually(async () => {
      const text = (await readFile(path.join(ws.path, 'sleep.pid'), 'utf8')).trim();
      expect(text).toMatch(/^[1-9]\d*$/);
      return Number(text);
    });
    await driver.interrupt();
    await running;
    await eventually(() => !alive(pid));
    expect(ofType(h.events, 'tool.result')).toEqual([expect.objectContaining({ ok: false, output: expect.stringMatching(/^interrupted/) })]);
    expect(h.types()).not.toContain('run.completed');
    expect(h.lastCheckpoint()).toMatchObject({ cursor: 0 });
  });
});
