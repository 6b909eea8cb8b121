import { describe, expect, it } from '@jest/globals';
import { nestedCommandArgv, sandboxArgv, type SandboxProfile } from './bubblewrap.js';

const profile: SandboxProfile = {
  bwrap: '/usr/bin/bwrap',
  writable: ['/work/ws'],
  readOnly: [],
  hiddenDirs: [],
  hiddenFiles: [],
  reexposed: [],
  network: true,
  cwd: '/work/ws',
};

describe('bubblewrap argv', () => {
  // What takes a SIGKILLed host's commands down with it when it is sandboxed: its pid namespace
  // ends with its pid 1, and each sandbox's pid 1 dies with the process that started it.
  it.each([
    ['the host sandbox', sandboxArgv(profile, ['node', 'host.js'])],
    ['a command sandbox', nestedCommandArgv('/usr/bin/bwrap', false, '/work/ws', ['/bin/sh', '-c', 'sleep 300'])],
  ])('%s has its own pid namespace and dies with its parent', (_which, argv) => {
    const options = argv.slice(0, argv.indexOf('--'));
    expect(options).toContain('--unshare-pid');
    expect(options).toContain('--die-with-parent');
    expect(options).not.toContain('--as-pid-1');
  });
});
