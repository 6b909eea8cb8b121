/**
 * Bearer tokens as files and values: a fresh random token, and the owner's token file created on
 * first start. Shared by the token store (identity tokens) and the daemon (the owner's token);
 * the authenticators that check tokens are in ../server/auth.ts.
 */
import { randomBytes } from 'node:crypto';
import { chmod, readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../atomic-file.js';

/**
 * A fresh token: `skt_` and 32 random bytes, base64url. The prefix keeps a token from starting
 * with `-` (base64url's alphabet has it), which a flag parser would read as `--token -x…`, and
 * lets secret scanners recognise a leaked token.
 */
export function generateToken(): string {
  return `skt_${randomBytes(32).toString('base64url')}`;
}

/** Reads the daemon token, creating it (0600, atomically) on first start. */
export async function ensureToken(path: string): Promise<string> {
  try {
    const existing = (await readFile(path, 'utf8')).trim();
    if (existing.length > 0) {
      await chmod(path, 0o600);
      return existing;
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const token = generateToken();
  await writeFileAtomic(path, `${token}\n`);
  return token;
}
