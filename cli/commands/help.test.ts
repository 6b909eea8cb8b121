/**
 * The command line itself, in-process and without a daemon (nothing here reaches one): help, bare
 * groups, unknown verbs and subcommands with "Did you mean this?", missing arguments and required
 * flags — each with kubectl's wording and exit code.
 */
import { describe, expect, test } from '@jest/globals';
import type { CommandClass } from 'clipanion';
import { runCli } from '../../test/support/cli.js';
import { tempDirsPerTest } from '../../test/support/temp-dirs.js';
import { commandLoaders } from '../command-list.js';
import { verbs, type Verb } from '../verbs.js';

const tempDir = tempDirsPerTest('sidekick-help-');
const sk = (argv: string[]) => runCli(tempDir(), argv);

/** [subcommand, description] of each command class of `verb`, from the classes themselves. */
async function subcommandsOf(verb: Verb): Promise<[string, string][]> {
  const classes: CommandClass[] = await commandLoaders[verb]();
  return classes.flatMap((c) => (c.paths ?? []).filter((p) => p.length >= 2).map((p) => [p.slice(1).join(' '), c.usage?.description ?? ''] as [string, string]));
}

describe('missing arguments and required flags', () => {
  test.each([
    [['steer', 'run/x'], 'error: required flag(s) "message" not set'],
    [['steer', 'run/x', '--timeout', '5s'], 'error: required flag(s) "message" not set'],
    [['respond', 'run/x'], 'error: required flag(s) "message" not set'],
    [['post', 'channel/team'], 'error: required flag(s) "message" not set'],
    [['token', 'create'], 'error: required flag(s) "as", "role" not set'],
    [['token', 'create', '--as', 'bob'], 'error: required flag(s) "role" not set'],
    [['respond'], 'error: respond needs run/NAME: sidekick respond run/NAME -m MESSAGE [options]'],
    [['steer', '-m', 'hi'], 'error: steer needs run/NAME: sidekick steer run/NAME -m MESSAGE [options]'],
    [['token', 'revoke'], 'error: token revoke needs NAME: sidekick token revoke NAME [options]'],
    [['completion'], 'error: completion needs bash|zsh: sidekick completion bash|zsh'],
    [['steer', 'run/x', 'run/y', '-m', 'hi'], 'error: steer accepts 1 arg(s), received 2: sidekick steer run/NAME -m MESSAGE [options]'],
    [['get', 'runs', '-o'], "error: flag needs an argument: 'o' in -o"],
    [['steer', 'run/x', '--message'], 'error: flag needs an argument: --message'],
  ])('sidekick %j', async (argv, message) => {
    expect(await sk(argv)).toEqual({ code: 1, stdout: '', stderr: `${message}\n` });
  });
});

describe('groups', () => {
  test.each(['daemon', 'workflow', 'token', 'auth', 'config'] as const)('bare `sidekick %s` lists its subcommands with their descriptions and exits 0', async (verb) => {
    const r = await sk([verb]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const listed = r.stdout.slice(r.stdout.indexOf('Available Commands:\n')).split('\n\n')[0].split('\n').slice(1);
    const expected = await subcommandsOf(verb);
    expect(listed.map((l) => l.trim().split(/\s{2,}/))).toEqual(expected.sort(([a], [b]) => a.localeCompare(b)));
    expect(r.stdout).toContain(`Usage:\n  sidekick ${verb} COMMAND [options]\n`);
  });

  test('`sidekick controlplane token` lists the commands it groups, and `controlplane --help` names them too', async () => {
    for (const argv of [['controlplane', 'token'], ['controlplane', '--help']]) {
      const r = await sk(argv);
      expect(r).toMatchObject({ code: 0, stderr: '' });
      expect(r.stdout).toMatch(/\nAvailable Commands:\n {2}migrate +Apply the pending schema migrations, or print them\n {2}token create +Sign a bearer token/);
    }
  });

  test('bare `sidekick timeline` prints its help with the verify subcommand and exits 0', async () => {
    const r = await sk(['timeline']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/\nAvailable Commands:\n {2}verify +Verify a session's journal hash chain\n/);
    expect(r.stdout).toContain('Usage:\n  sidekick timeline session/NAME [options]\n');
  });

  test('`sidekick config --help` lists the context verbs', async () => {
    const r = await sk(['config', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\nAvailable Commands:\n {2}current-context +Display the current-context\n {2}delete-context +/);
    expect(r.stdout).toMatch(/\n {2}use-context +Set the current-context in a kubeconfig file\n {2}view +Display the kubeconfig\n/);
  });

  test('an unknown subcommand is an error naming it, with suggestions when one is close', async () => {
    expect(await sk(['daemon', 'strat'])).toEqual({
      code: 1,
      stdout: '',
      stderr: 'error: unknown command "strat" for "sidekick daemon"\n\nDid you mean this?\n\tstart\n\nRun \'sidekick daemon --help\' for usage.\n',
    });
    expect(await sk(['token', 'frobnicate'])).toEqual({ code: 1, stdout: '', stderr: 'error: unknown command "frobnicate" for "sidekick token"\n\nRun \'sidekick token --help\' for usage.\n' });
    expect((await sk(['config', 'vew'])).stderr).toContain('error: unknown command "vew" for "sidekick config"\n\nDid you mean this?\n\tview\n');
  });
});

describe('unknown verbs', () => {
  test('a typo gets kubectl\'s "Did you mean this?"', async () => {
    expect(await sk(['gte', 'runs'])).toEqual({ code: 1, stdout: '', stderr: 'error: unknown command "gte" for "sidekick"\n\nDid you mean this?\n\tget\n' });
    expect((await sk(['stere', 'run/x'])).stderr).toBe('error: unknown command "stere" for "sidekick"\n\nDid you mean this?\n\tsteer\n\tserve\n');
    expect((await sk(['deskribe'])).stderr).toContain('Did you mean this?\n\tdescribe\n');
    // After global flags too: their values are not taken for the verb.
    expect((await sk(['-n', 'team', 'gte'])).stderr).toBe('error: unknown command "gte" for "sidekick"\n\nDid you mean this?\n\tget\n');
  });
});

describe('help', () => {
  test('`sidekick`, `-h` and `--help` list every verb once, under categories, and exit 0', async () => {
    for (const argv of [[], ['-h'], ['--help']]) {
      const r = await sk(argv);
      expect(r).toMatchObject({ code: 0, stderr: '' });
      for (const verb of verbs) expect(r.stdout.match(new RegExp(`^  ${verb} {2,}\\S`, 'gm'))).toHaveLength(1);
      expect(r.stdout).toContain('Use "sidekick options" for a list of global command-line options (applies to all commands).\n');
      expect(r.stdout).not.toContain('#0');
    }
  });

  test.each([['get'], ['daemon', 'start'], ['steer'], ['token', 'create'], ['completion'], ['explain']])('`sidekick %s --help`: named arguments, own flags, no #0 placeholders', async (...path) => {
    const r = await sk([...path, '--help']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).not.toContain('#0');
    expect(r.stdout).toMatch(new RegExp(`\\nUsage:\\n {2}sidekick ${path.join(' ')} \\S`));
    // The shared connection flags are left to `sidekick options`.
    for (const global of ['--server', '--token string', '--certificate-authority', '--insecure-skip-tls-verify']) expect(r.stdout).not.toContain(global);
  });

  test('usage lines name what a command needs', async () => {
    expect((await sk(['steer', '--help'])).stdout).toContain('Usage:\n  sidekick steer run/NAME -m MESSAGE [options]\n\nUse "sidekick options"');
    expect((await sk(['get', '--help'])).stdout).toContain('Usage:\n  sidekick get (TYPE[.GROUP] [NAME...] | TYPE/NAME...) [options]\n');
    expect((await sk(['steer', '--help'])).stdout).toMatch(/\n {2}-m, --message string +The text to deliver \(required\)\n/);
  });

  test('`sidekick help VERB...` is `sidekick VERB... --help`', async () => {
    expect(await sk(['help', 'daemon'])).toEqual(await sk(['daemon', '--help']));
    expect(await sk(['help', 'token', 'create'])).toEqual(await sk(['token', 'create', '--help']));
    expect((await sk(['help'])).stdout).toBe((await sk(['--help'])).stdout);
  });

  test('`sidekick options` lists the shared connection flags', async () => {
    const r = await sk(['options']);
    expect(r.code).toBe(0);
    for (const flag of ['-n, --namespace string', '-s, --server string', '--token string', '--home string', '--certificate-authority string', '--insecure-skip-tls-verify', '--context string', '--kubeconfig string']) {
      expect(r.stdout).toContain(flag);
    }
  });
});
