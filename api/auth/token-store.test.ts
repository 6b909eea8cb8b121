/** The identity token store: digests only, 0600, survives a reopen, refuses what it cannot read. */
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Role } from './roles.js';
import { TokenStore, TokenStoreError, tokenDigest } from './token-store.js';

let dir: string;
let path: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sidekick-tokens-'));
  path = join(dir, 'tokens.json');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('TokenStore', () => {
  test('stores only the digest, with mode 0600, and finds the identity by token after a reopen', async () => {
    const store = await TokenStore.open(path);
    const { token, record } = await store.create('bob', Role.Viewer, new Date('2025-01-02T03:04:05.678Z'));
    expect(record).toEqual({ name: 'bob', role: 'Viewer', createdAt: '2025-01-02T03:04:05Z' });
    const text = await readFile(path, 'utf8');
    expect(text).not.toContain(token);
    expect(JSON.parse(text)).toEqual({ tokens: { [tokenDigest(token)]: record } });
    expect((await stat(path)).mode & 0o777).toBe(0o600);

    const reopened = await TokenStore.open(path);
    expect(reopened.lookup(token)).toEqual(record);
    expect(reopened.lookup(`${token}x`)).toBeUndefined();
    expect(reopened.byName('bob')).toEqual(record);
  });

  test('one token per name; concurrent creates of different names both persist', async () => {
    const store = await TokenStore.open(path);
    await Promise.all([store.create('bob', Role.Viewer), store.create('carol', Role.Collaborator)]);
    await expect(store.create('bob', Role.Owner)).rejects.toThrow('identity "bob" already has a token');
    expect((await TokenStore.open(path)).list().map((r) => `${r.name}:${r.role}`)).toEqual(['bob:Viewer', 'carol:Collaborator']);
  });

  test('revoke removes the token at once and from the file', async () => {
    const store = await TokenStore.open(path);
    const { token } = await store.create('bob', Role.Viewer);
    expect((await store.revoke('bob'))?.name).toBe('bob');
    expect(store.lookup(token)).toBeUndefined();
    expect(await store.revoke('bob')).toBeUndefined();
    expect((await TokenStore.open(path)).list()).toEqual([]);
  });

  test('invalid names are refused', async () => {
    const store = await TokenStore.open(path);
    await expect(store.create('bob smith', Role.Viewer)).rejects.toThrow(/invalid identity name/);
    await expect(store.create('', Role.Viewer)).rejects.toThrow(/invalid identity name/);
  });

  test('a file that is not a token store is refused (the daemon does not start on it)', async () => {
    await writeFile(path, '{"tokens": {"abc": {"name": "bob"}}}');
    await expect(TokenStore.open(path)).rejects.toBeInstanceOf(TokenStoreError);
    await writeFile(path, 'not json');
    await expect(TokenStore.open(path)).rejects.toThrow(/not JSON/);
  });
});
