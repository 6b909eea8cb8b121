import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { eventually } from '../eventually.js';
import { alive } from './process-alive.js';

describe('alive', () => {
  it('is true for a running process and false for one that exited but is not reaped yet (a zombie)', async () => {
    // The background job ends a second later, a child of the `sleep` its shell has become by then,
    // which never reaps it. (One that ended before the `exec` could be reaped by the shell.)
    const parent = spawn('sh', ['-c', 'sleep 1 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const [line] = (await once(parent.stdout, 'data')) as [Buffer];
      const zombie = Number(line.toString().trim());
      expect(alive(parent.pid!)).toBe(true);
      await eventually(() => {
        let exists = true;
        try {
          process.kill(zombie, 0);
        } catch {
          exists = false;
        }
        // Still there for signal 0, yet dead.
        return exists && !alive(zombie);
      });
    } finally {
      parent.kill('SIGKILL');
    }
    await eventually(() => !alive(parent.pid!));
  });
});
