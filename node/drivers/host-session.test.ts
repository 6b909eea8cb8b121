import { describe, expect, it } from '@jest/globals';
import { eventually } from '../../test/eventually.js';
import type { Driver, DriverStartContext, PermissionDecision } from './contract.js';
import type { LocalToolsOptions } from '../tools/local-tools.js';
import { DAEMON_GONE_REASON, HostSession } from './host-session.js';
import type { HostToDaemon, StartMessage } from './protocol.js';
import { testAgent } from './test-harness.js';

/** A driver that hands its context to the test and finishes when told. */
class ProbeDriver implements Driver {
  ctx?: DriverStartContext;
  private finish!: (err?: Error) => void;
  readonly stopped = { interrupt: 0, close: 0 };
  capabilities() {
    return { resume: false, steer: true, interactiveRequests: false, toolCalls: true, reasoningStream: false };
  }
  start(ctx: DriverStartContext) {
    this.ctx = ctx;
    return new Promise<void>((resolve, reject) => (this.finish = (err) => (err ? reject(err) : resolve())));
  }
  end(err?: Error) {
    this.finish(err);
  }
  async send() {}
  async steer() {
    return 'applied' as const;
  }
  async interrupt() {
    this.stopped.interrupt += 1;
    this.finish();
  }
  async close() {
    this.stopped.close += 1;
    this.finish();
  }
}

function setup() {
  const out: HostToDaemon[] = [];
  const toolOptions: LocalToolsOptions[] = [];
  const probe = new ProbeDriver();
  const session = new HostSession({
    registry: { Scripted: () => probe },
    write: (m) => out.push(m),
    log: () => {},
    createTools: (opts) => {
      toolOptions.push(opts);
      return { execute: async (call) => ({ ok: true, output: `ran ${call.tool}`, durationMs: 1 }) };
    },
  });
  const start: StartMessage = {
    type: 'start',
    run: { namespace: 'default', name: 'r', uid: 'u', session: 's' },
    prompt: 'p',
    agent: testAgent({ driver: 'Scripted', tools: ['ReadFile'], env: { HOME: '/agent-home' } }),
    workspace: { path: '/tmp/ws', readOnly: true },
    allowEnvPassthrough: true,
  };
  return { out, toolOptions, probe, session, start };
}

describe('HostSession', () => {
  it('declares capabilities, builds the tools for the workspace and relays permission decisions', async () => {
    const { out, toolOptions, probe, session, start } = setup();
    session.handle(start);
    expect(out[0]).toEqual({ type: 'capabilities', driver: 'Scripted', capabilities: probe.capabilities() });
    expect(toolOptions).toEqual([{ root: '/tmp/ws', readOnly: true, env: { HOME: '/agent-home' }, allowEnvPassthrough: true }]);

    const decision = probe.ctx!.tools.permission({ callId: 'c1', tool: 'ReadFile', input: { path: 'a' } });
    const request = (await eventually(() => out.find((m): m is Extract<HostToDaemon, { type: 'permission.request' }> => m.type === 'permission.request')))!;
    session.handle({ type: 'permission.reply', requestId: request.requestId, allow: false, reason: 'nope' });
    expect(await decision).toEqual({ allow: false, reason: 'nope' });

    session.handle({ type: 'steer', id: 's1', text: 'x' });
    await eventually(() => out.some((m) => m.type === 'steer.result' && m.id === 's1' && m.outcome === 'applied'));

    probe.ctx!.emit({ type: 'run.completed', summary: 'ok' });
    probe.end();
    expect(await session.done).toEqual({ type: 'exit', status: 'completed' });
  });

  it('refuses tools the agent was not given, without running them', async () => {
    const { probe, session, start } = setup();
    session.handle(start);
    const signal = new AbortController().signal;
    expect(await probe.ctx!.tools.execute({ callId: 'c', tool: 'RunCommand', input: { command: 'ls' } }, signal)).toMatchObject({
      ok: false,
      output: 'refused: tool RunCommand is not enabled for agent tester',
    });
    expect(await probe.ctx!.tools.execute({ callId: 'c', tool: 'ReadFile', input: {} }, signal)).toMatchObject({ ok: true, output: 'ran ReadFile' });
  });

  it('fails closed when the daemon connection is lost: pending and later permissions are refused', async () => {
    const { probe, session, start } = setup();
    session.handle(start);
    const pending: Promise<PermissionDecision> = probe.ctx!.tools.permission({ callId: 'c1', tool: 'ReadFile', input: {} });
    session.connectionLost();
    expect(await pending).toEqual({ allow: false, reason: DAEMON_GONE_REASON });
    expect(await probe.ctx!.tools.permission({ callId: 'c2', tool: 'ReadFile', input: {} })).toEqual({ allow: false, reason: DAEMON_GONE_REASON });
    expect(probe.ctx!.signal.aborted).toBe(true);
    expect(probe.stopped.close).toBe(1);
    expect(await session.done).toEqual({ type: 'exit', status: 'interrupted' });
  });

  it('fails the run when the agent names a driver this host does not have', async () => {
    const { out, session, start } = setup();
    session.handle({ ...start, agent: { ...start.agent, driver: 'Codex' } });
    expect(out).toEqual([{ type: 'event', event: { type: 'run.failed', category: 'Provider', reason: 'UnknownDriver', message: 'this driver host has no Codex driver' } }]);
    expect(await session.done).toEqual({ type: 'exit', status: 'failed' });
  });

  it('turns a driver that throws into run.failed (DriverError)', async () => {
    const { out, probe, session, start } = setup();
    session.handle(start);
    probe.end(new Error('kaboom'));
    expect(await session.done).toEqual({ type: 'exit', status: 'failed' });
    expect(out.at(-1)).toEqual({ type: 'event', event: { type: 'run.failed', category: 'Provider', reason: 'DriverError', message: 'kaboom' } });
  });

  it('SIGTERM (terminate) interrupts the driver', async () => {
    const { probe, session, start } = setup();
    session.handle(start);
    session.terminate();
    expect(probe.stopped.interrupt).toBe(1);
    expect(await session.done).toEqual({ type: 'exit', status: 'interrupted' });
  });
});
