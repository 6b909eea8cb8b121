import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sandboxArgv } from './bubblewrap.js';
import { programRoots, sandboxDriverHost } from './driver-sandbox.js';
import { hostProfile } from './host-profile.js';
import { IsolationUnavailableError, requestedPolicy } from './isolation.js';

describe('requestedPolicy, else the platform default', () => {
  it.each([
    [[undefined, undefined], 'Required'],
    [['Off', undefined], 'Off'],
    [['Off', 'Required'], 'Required'],
    [['BestEffort', 'Off'], 'BestEffort'],
  ] as const)('%j → %s', (requested, expected) => {
    expect(requestedPolicy(requested) ?? 'Required').toBe(expected);
  });
});

describe('sandboxDriverHost', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sidekick-sbx-unit-'));
  const workspace = join(dir, 'ws');
  mkdirSync(workspace);
  const base = {
    hostCommand: ['node', 'host.js'],
    run: { namespace: 'default', name: 'r', uid: '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b' },
    providerRunsCommands: false,
    workspace: { path: workspace, readOnly: false },
    stateDir: join(dir, 'home'),
    userHome: join(dir, 'user'),
    baseEnv: { PATH: '/usr/bin', SECRET_TOKEN: 'x' },
    allowEnvPassthrough: false,
  };
  const missing = { available: false as const, mechanism: 'bubblewrap' as const, reason: 'bwrap was not found on PATH; install bubblewrap' };

  it('fails a Required run where no sandbox can be made, saying how to get one', async () => {
    const err = await sandboxDriverHost({ ...base, policy: 'Required', availability: missing }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IsolationUnavailableError);
    expect((err as IsolationUnavailableError).reason).toBe('IsolationUnavailable');
    expect((err as Error).message).toContain('install bubblewrap');
  });

  it('runs BestEffort unsandboxed and says so; Off never sandboxes', async () => {
    const best = await sandboxDriverHost({ ...base, policy: 'BestEffort', availability: missing });
    expect(best.command).toEqual(base.hostCommand);
    expect(best.isolation).toMatchObject({ mode: 'Unsandboxed', mechanism: 'none', network: 'Open' });
    expect(best.isolation.message).toContain('bwrap was not found');
    const off = await sandboxDriverHost({ ...base, policy: 'Off', availability: { available: true, mechanism: 'bubblewrap', bwrap: '/usr/bin/bwrap' } });
    expect(off.isolation.mode).toBe('Unsandboxed');
    expect(off.nested).toBeUndefined();
  });

  it('wraps the host: HOME is the run\'s own, the environment an allowlist, the daemon home and credentials hidden', async () => {
    mkdirSync(join(dir, 'user', '.ssh'), { recursive: true });
    writeFileSync(join(dir, 'user', '.npmrc'), 'x');
    const sbx = await sandboxDriverHost({ ...base, policy: 'Required', providerRunsCommands: true, availability: { available: true, mechanism: 'bubblewrap', bwrap: '/usr/bin/bwrap' } });
    expect(sbx.isolation).toEqual({ mode: 'Sandboxed', mechanism: 'bubblewrap', network: 'Provider' });
    expect(sbx.env).toEqual({ PATH: '/usr/bin', HOME: join(dir, 'home', 'agent-homes', 'default', 'r-0190a1b2') });
    const argv = sbx.command.join(' ');
    expect(argv).toContain(`--bind ${workspace} ${workspace}`);
    expect(sbx.command.slice(-3)).toEqual(['--', 'node', 'host.js']);
    // (Under /tmp, the private /tmp hides them already; the profile still names them for a real home.)
    const profile = await hostProfile({ bwrap: 'bwrap', workspace, readOnly: false, agentHome: workspace, sidekickHome: base.stateDir, userHome: base.userHome, network: true });
    expect(profile.hiddenDirs).toEqual(expect.arrayContaining([join(dir, 'user', '.ssh'), '/run']));
    expect(profile.hiddenFiles).toEqual([join(dir, 'user', '.npmrc')]);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('sandboxArgv', () => {
  it('hides before it exposes, and drops what /tmp already hides', () => {
    const argv = sandboxArgv(
      { bwrap: 'bwrap', writable: ['/tmp/h/worktrees/w', '/tmp/h/agent-homes/x'], readOnly: [], hiddenDirs: ['/tmp/h', '/run'], hiddenFiles: ['/tmp/h/token'], reexposed: [], network: false, cwd: '/tmp/h/worktrees/w' },
      ['true'],
    );
    expect(argv.indexOf('/run')).toBeLessThan(argv.indexOf('/tmp/h/worktrees/w'));
    expect(argv).not.toContain('/tmp/h');
    expect(argv).not.toContain('/tmp/h/token');
    expect(argv).toContain('--unshare-net');
  });
});

describe('sandboxArgv with a checkout under /tmp', () => {
  it('shows the installation again, hides the daemon home inside it, and binds the worktree inside that', () => {
    const argv = sandboxArgv(
      { bwrap: 'bwrap', writable: ['/tmp/pkg/.sk/worktrees/w'], readOnly: [], hiddenDirs: ['/tmp/pkg/.sk', '/tmp/other'], hiddenFiles: [], reexposed: ['/tmp/pkg'], network: true, cwd: '/tmp/pkg/.sk/worktrees/w' },
      ['node', '/tmp/pkg/dist/host.js'],
    );
    const at = (flag: string, p: string): number => argv.findIndex((a, i) => a === flag && argv[i + 1] === p);
    expect(at('--ro-bind-try', '/tmp/pkg')).toBeGreaterThan(at('--tmpfs', '/tmp'));
    expect(at('--tmpfs', '/tmp/pkg/.sk')).toBeGreaterThan(at('--ro-bind-try', '/tmp/pkg'));
    expect(at('--bind', '/tmp/pkg/.sk/worktrees/w')).toBeGreaterThan(at('--tmpfs', '/tmp/pkg/.sk'));
    expect(argv).not.toContain('/tmp/other');
    expect(argv).not.toContain('--unshare-net');
  });
});

describe('programRoots', () => {
  it('finds the installation of the host script (its package.json) and the directory of a binary', async () => {
    const repo = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
    expect(await programRoots(['/usr/bin/node', join(repo, 'dist', 'node', 'drivers', 'host.js')])).toEqual(['/usr/bin', repo]);
  });
});
