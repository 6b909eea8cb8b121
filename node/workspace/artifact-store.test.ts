import { afterAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ArtifactStore, contentDigest } from './artifact-store.js';
import { removeTempDirs, tempDir } from './test-repo.js';

afterAll(removeTempDirs);

describe('ArtifactStore', () => {
  it('stores content under its sha256 with mode 0600 and reads it back', async () => {
    const root = tempDir('sidekicks-artifacts-');
    const store = new ArtifactStore(root);
    const content = 'diff --git a/x b/x\n';
    const expected = createHash('sha256').update(content).digest('hex');
    const stored = await store.put(content);
    expect(stored).toEqual({ digest: expected, size: Buffer.byteLength(content), path: path.join(root, expected.slice(0, 2), expected) });
    expect(statSync(stored.path).mode & 0o777).toBe(0o600);
    expect((await store.get(expected))?.toString('utf8')).toBe(content);
    expect(await store.has(expected)).toBe(true);
    expect(contentDigest(Buffer.from(content))).toBe(expected);
  });

  it('stores the same bytes once and leaves no temporary files', async () => {
    const root = tempDir('sidekicks-artifacts-');
    const store = new ArtifactStore(root);
    const bytes = Buffer.from([0, 255, 1, 2]);
    const [a, b] = await Promise.all([store.put(bytes), store.put(bytes)]);
    expect(a).toEqual(b);
    expect(readdirSync(path.dirname(a.path))).toEqual([a.digest]);
  });

  it('returns undefined for unknown content, rejects non-digests, and detects corruption', async () => {
    const store = new ArtifactStore(tempDir('sidekicks-artifacts-'));
    expect(await store.get('0'.repeat(64))).toBeUndefined();
    await expect(store.get('../../etc/passwd')).rejects.toThrow('not a sha256 hex digest');
    const stored = await store.put('original');
    writeFileSync(stored.path, 'tampered');
    await expect(store.get(stored.digest)).rejects.toThrow('corrupt');
  });
});
