/**
 * `sidekick controlplane token create`, in-process: prints only a token that verifies with the same
 * key (name, role, lifetime), and one-line errors for a bad role, ttl, name or key.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { SignedTokens } from '../../../api/auth/signed-tokens.js';
import { generateSigningKey, loadSigningKey } from '../../../api/auth/signing-key.js';
import { runCli, type CliResult } from '../../../test/support/cli.js';

let dir: string;
let keyPath: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sidekick-cp-token-'));
  keyPath = join(dir, 'signing.key');
  await generateSigningKey(keyPath);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Runs `sidekick controlplane token create ARGS` with no signing key in the environment unless `env` sets one. */
function create(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return runCli(dir, ['controlplane', 'token', 'create', ...args], { env: { SIDEKICK_SIGNING_KEY_FILE: '', ...env } });
}

/** What the token printed in `r` proves to a verifier that loaded the key file afresh. */
async function verified(r: CliResult) {
  expect(r).toMatchObject({ code: 0, stderr: '' });
  expect(r.stdout).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]+\n$/);
  const token = r.stdout.trim();
  return { principal: await new SignedTokens(await loadSigningKey(keyPath)).verify(token), claims: decodeJwt(token) };
}

describe('controlplane token create', () => {
  it('prints only a token the same key verifies, with the role and lifetime asked for', async () => {
    const { principal, claims } = await verified(await create(['alice', '--role', 'owner', '--ttl', '2h30m', '--signing-key', keyPath]));
    expect(principal).toEqual({ name: 'alice', method: 'token', role: 'Owner' });
    expect(claims.exp! - claims.iat!).toBe(9000);
  });

  it('defaults to Viewer for 720h, and reads the key from SIDEKICK_SIGNING_KEY_FILE', async () => {
    const { principal, claims } = await verified(await create(['bob'], { SIDEKICK_SIGNING_KEY_FILE: keyPath }));
    expect(principal).toEqual({ name: 'bob', method: 'token', role: 'Viewer' });
    expect(claims.exp! - claims.iat!).toBe(720 * 3600);
    // A flag beats its variable.
    const other = join(dir, 'other.key');
    await generateSigningKey(other);
    expect((await verified(await create(['bob', '--signing-key', keyPath], { SIDEKICK_SIGNING_KEY_FILE: other }))).principal?.name).toBe('bob');
  });

  it('bad input: one line on stderr naming the problem, nothing on stdout, exit 1', async () => {
    const worldReadable = join(dir, 'open.key');
    await writeFile(worldReadable, '');
    await chmod(worldReadable, 0o644);
    const missing = join(dir, 'missing.key');
    const cases: [string[], string][] = [
      [['erin', '--role', 'Admin', '--signing-key', keyPath], 'error: --role must be one of Owner, Collaborator, Viewer, RuntimeContributor; got "Admin"'],
      [['erin', '--ttl', '30', '--signing-key', keyPath], 'error: --ttl must be a duration between 1s and 8760h, such as 720h, 30d or 90m; got "30"'],
      [['erin', '--ttl', '9000h', '--signing-key', keyPath], 'error: --ttl must be a duration between 1s and 8760h, such as 720h, 30d or 90m; got "9000h"'],
      [['erin'], 'error: --signing-key is required (or set SIDEKICK_SIGNING_KEY_FILE)'],
      [['erin', '--signing-key', missing], `error: signing key ${missing}: no such file or directory`],
      [['erin', '--signing-key', worldReadable], `error: signing key ${worldReadable}: other users can access it (mode 0644): chmod 600 it (in Kubernetes, mount the Secret with defaultMode 0400)`],
      [['bad name!', '--signing-key', keyPath], `error: NAME "bad name!": must be 1-128 letters, digits, '.', '_', '@' or '-', starting and ending with a letter or digit`],
    ];
    for (const [args, stderr] of cases) expect([args, await create(args)]).toEqual([args, { code: 1, stdout: '', stderr: `${stderr}\n` }]);
  });

  it('needs NAME', async () => {
    const r = await create(['--signing-key', keyPath]);
    expect(r).toMatchObject({ code: 1, stdout: '' });
    expect(r.stderr).toMatch(/^error: controlplane token create needs NAME: sidekick controlplane token create NAME/);
  });
});
