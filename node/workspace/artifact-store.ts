/**
 * The content-addressed artifact store: diffs, files and logs runs publish, kept as
 * `<root>/<hh>/<sha256>` (hh = the digest's first two hex digits). Content is immutable, so the
 * same bytes stored twice are one file, and a digest names its content forever.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';

/** Returns the sha256 of the content as lowercase hex (a string is hashed as UTF-8). */
export function contentDigest(content: string | Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

export interface StoredArtifact {
  digest: string;
  size: number;
  path: string;
}

const digestPattern = /^[0-9a-f]{64}$/;

/** Stores and reads artifact content by digest. */
export class ArtifactStore {
  constructor(private readonly root: string) {}

  /**
   * Stores the content and returns its digest, size and path. Written to a temporary file, synced
   * and renamed into place (mode 0600), so a crash never leaves a partial file under a digest.
   */
  async put(content: string | Buffer): Promise<StoredArtifact> {
    const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    const digest = contentDigest(bytes);
    const target = this.pathFor(digest);
    const existing = await stat(target).catch(() => undefined);
    if (existing?.size === bytes.length) return { digest, size: bytes.length, path: target };

    await mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
    const temp = `${target}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    const handle = await open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } catch (err) {
      await handle.close();
      await rm(temp, { force: true });
      throw err;
    }
    await handle.close();
    await rename(temp, target);
    return { digest, size: bytes.length, path: target };
  }

  /**
   * Returns the content stored under the digest, or undefined when there is none. Content that no
   * longer matches its digest (disk corruption, a hand edit) is an error, not data.
   */
  async get(digest: string): Promise<Buffer | undefined> {
    let bytes: Buffer;
    try {
      bytes = await readFile(this.pathFor(digest));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    if (contentDigest(bytes) !== digest) throw new Error(`artifact ${digest} is corrupt: its content no longer matches its digest`);
    return bytes;
  }

  /** Whether content with this digest is stored. */
  async has(digest: string): Promise<boolean> {
    return stat(this.pathFor(digest)).then(
      () => true,
      () => false,
    );
  }

  /** Returns where content with this digest lives; the digest is checked so it cannot name another path. */
  pathFor(digest: string): string {
    if (!digestPattern.test(digest)) throw new Error(`${JSON.stringify(digest)} is not a sha256 hex digest`);
    return path.join(this.root, digest.slice(0, 2), digest);
  }
}
