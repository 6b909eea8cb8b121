/**
 * Files that must be whole after any crash: credentials (tokens, TLS keys), the daemon's pid and
 * address files. Written to a temp file in the same directory, fsynced, renamed over the target,
 * and the directory fsynced, so after a kill -9 or a power cut a reader finds the old content or
 * the new, never a torn or empty file, and never one readable by others even for a moment.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Writes `content` to `path` atomically and durably, with `mode` (default 0600) from the first byte. */
export async function writeFileAtomic(path: string, content: string, mode = 0o600): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const file = await open(tmp, 'wx', mode);
  try {
    // The umask may have narrowed `mode`, never widened it; chmod makes it exact.
    await file.chmod(mode);
    await file.writeFile(content);
    await file.sync();
  } catch (err) {
    await file.close();
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await file.close();
  await rename(tmp, path);
  await syncDirectory(dirname(path));
}

/** Makes a rename in `dir` durable (the directory entry is data too). */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
