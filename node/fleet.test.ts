import { describe, expect, it } from '@jest/globals';
import { ApiError, StatusReason } from '../api/errors.js';
import type { DriverEvent } from './drivers/contract.js';
import { DriverFleet } from './fleet.js';
import type { DriverHooks, DriverLauncher, LaunchRequest } from './ports.js';

/** A launcher whose driver says what the test tells it to. */
function scriptedLauncher(): { launcher: DriverLauncher; say: (e: DriverEvent) => void } {
  let hooks: DriverHooks | undefined;
  const launcher: DriverLauncher = {
    capabilitiesOf: () => ({ resume: false, steer: false, interactiveRequests: false, toolCalls: false, reasoningStream: false }),
    launch: async (_req, h) => {
      hooks = h;
      return {
        capabilities: launcher.capabilitiesOf('Scripted'),
        send: async () => undefined,
        steer: async () => 'degraded',
        interrupt: async () => undefined,
        close: async () => undefined,
        exited: new Promise(() => undefined),
      };
    },
  };
  return { launcher, say: (e) => hooks!.onEvent(e) };
}

const req = { run: { namespace: 'default', name: 'r', uid: 'u', session: 's' }, prompt: 'p', agent: {}, workspace: { path: '/w', readOnly: false } } as unknown as LaunchRequest;
const message = (text: string): DriverEvent => ({ type: 'assistant.message', text });

describe('DriverFleet event delivery', () => {
  it('waits out a store that is busy or full: no event is dropped, and order is kept', async () => {
    const { launcher, say } = scriptedLauncher();
    const handled: string[] = [];
    let faults = 0;
    const naps: number[] = [];
    const fleet = new DriverFleet(
      launcher,
      async (_uid, event) => {
        const text = (event as { text: string }).text;
        // The store refuses the first event 12 times (busy, then full), then takes everything.
        if (text === 'one' && faults < 12) {
          faults++;
          throw new ApiError(faults % 2 ? StatusReason.ServiceUnavailable : StatusReason.InsufficientStorage, 'store fault');
        }
        handled.push(text);
      },
      () => undefined,
      async (ms) => void naps.push(ms),
    );
    await fleet.launch('u', req, async () => ({ allow: false }));
    for (const t of ['one', 'two', 'done']) say(message(t));
    await fleet.drain('u');
    expect(handled).toEqual(['one', 'two', 'done']);
    expect(faults).toBe(12);
    // Backoff doubles from 50 ms and stays at 2 s at most.
    expect(naps.slice(0, 4)).toEqual([50, 100, 200, 400]);
    expect(Math.max(...naps)).toBe(2000);
  });

  it('gives up on an event whose handling fails for another reason after a few tries, and goes on with the next', async () => {
    const { launcher, say } = scriptedLauncher();
    const handled: string[] = [];
    const logs: string[] = [];
    let tries = 0;
    const fleet = new DriverFleet(
      launcher,
      async (_uid, event) => {
        const text = (event as { text: string }).text;
        if (text === 'bad') {
          tries++;
          throw new Error('a bug');
        }
        handled.push(text);
      },
      (line) => logs.push(line),
      async () => undefined,
    );
    await fleet.launch('u', req, async () => ({ allow: false }));
    for (const t of ['bad', 'next']) say(message(t));
    await fleet.drain('u');
    expect(tries).toBe(5);
    expect(handled).toEqual(['next']);
    expect(logs.some((l) => l.includes('failed 5 times, giving up'))).toBe(true);
  });
});
