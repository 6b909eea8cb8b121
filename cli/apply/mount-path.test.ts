import { describe, expect, it } from '@jest/globals';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { expandMountPath } from './manifests.js';

describe('expandMountPath', () => {
  it.each([
    ['..', '/repo/.sidekick', '/repo'],
    ['demo', '/repo/examples/hello', '/repo/examples/hello/demo'],
    ['./a/../b', '/x', '/x/b'],
    ['~', '/x', homedir()],
    ['~/sidekick-demo', '/x', join(homedir(), 'sidekick-demo')],
    // Only `~` and `~/…` are the home directory, as in a shell; `~bob` is a relative name here.
    ['~bob', '/x', '/x/~bob'],
  ])('%s against %s is %s', (path, base, expected) => {
    expect(expandMountPath(path, base)).toBe(expected);
  });
});
