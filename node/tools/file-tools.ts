/**
 * The file tools — ReadFile, WriteFile, ListFiles, EditFile — over paths already resolved inside
 * the workspace. Each returns the text the model reads; failures become `ok: false` results.
 */
import { mkdir, open, readdir, readFile, readlink, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** What a file tool returns before timing is added. */
export interface FileToolOutcome {
  ok: boolean;
  output: string;
  truncated?: boolean;
}

/** Returns the file's text, at most `capBytes` of it; binary files are described, not dumped. */
export async function readTextFile(absolute: string, relative: string, capBytes: number): Promise<FileToolOutcome> {
  const info = await stat(absolute);
  if (info.isDirectory()) return { ok: false, output: `${relative} is a directory; use ListFiles` };
  if (!info.isFile()) return { ok: false, output: `${relative} is not a regular file` };
  const handle = await open(absolute, 'r');
  try {
    const buffer = Buffer.alloc(Math.min(info.size, capBytes));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    const bytes = buffer.subarray(0, bytesRead);
    if (bytes.subarray(0, 8192).includes(0)) return { ok: true, output: `${relative} is a binary file (${info.size} bytes); not shown` };
    if (info.size <= capBytes) return { ok: true, output: bytes.toString('utf8') };
    return { ok: true, output: `${bytes.toString('utf8')}\n[... truncated: showing ${bytesRead} of ${info.size} bytes ...]`, truncated: true };
  } finally {
    await handle.close();
  }
}

/** Writes the content, creating parent directories. */
export async function writeTextFile(absolute: string, relative: string, content: string): Promise<FileToolOutcome> {
  const existing = await stat(absolute).catch(() => undefined);
  if (existing?.isDirectory()) return { ok: false, output: `${relative} is a directory` };
  await mkdir(path.dirname(absolute), { recursive: true });
  await writeFile(absolute, content, 'utf8');
  return { ok: true, output: `wrote ${Buffer.byteLength(content)} bytes to ${relative}` };
}

/**
 * Replaces `oldText` with `newText`: exactly one occurrence, or all of them with `replaceAll`.
 * Missing or ambiguous text is an error the model can fix by quoting more context.
 */
export async function editTextFile(absolute: string, relative: string, edit: { oldText: string; newText: string; replaceAll: boolean }): Promise<FileToolOutcome> {
  if (edit.oldText === '') return { ok: false, output: 'oldText must not be empty' };
  const info = await stat(absolute);
  if (!info.isFile()) return { ok: false, output: `${relative} is not a regular file` };
  const text = await readFile(absolute, 'utf8');
  const parts = text.split(edit.oldText);
  const count = parts.length - 1;
  if (count === 0) return { ok: false, output: `oldText not found in ${relative}` };
  if (count > 1 && !edit.replaceAll) {
    return { ok: false, output: `oldText occurs ${count} times in ${relative}; include more surrounding text to make it unique, or set replaceAll` };
  }
  // split/join, not String.replace: `$&` and friends in newText must stay literal.
  await writeFile(absolute, parts.join(edit.newText), 'utf8');
  return { ok: true, output: `replaced ${count} occurrence${count === 1 ? '' : 's'} in ${relative}` };
}

/**
 * Lists a directory: one entry per line, directories with a trailing `/`, symlinks as
 * `name -> target` (never followed). Recursive listings skip `.git` and stop at `maxEntries`.
 */
export async function listDirectory(absolute: string, relative: string, opts: { recursive: boolean; maxEntries: number }): Promise<FileToolOutcome> {
  const info = await stat(absolute);
  if (!info.isDirectory()) return { ok: false, output: `${relative} is not a directory` };
  const lines: string[] = [];
  let truncated = false;
  const walk = async (dir: string, prefix: string): Promise<void> => {
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      if (lines.length >= opts.maxEntries) {
        truncated = true;
        return;
      }
      const display = prefix + entry.name;
      const full = path.join(dir, entry.name);
      if (entry.isSymbolicLink()) lines.push(`${display} -> ${await readlink(full)}`);
      else if (entry.isDirectory()) {
        lines.push(`${display}/`);
        if (opts.recursive && entry.name !== '.git') await walk(full, `${display}/`);
      } else lines.push(display);
    }
  };
  await walk(absolute, '');
  if (lines.length === 0) return { ok: true, output: `${relative} is empty` };
  if (truncated) lines.push(`[... listing stopped at ${opts.maxEntries} entries ...]`);
  return { ok: true, output: lines.join('\n'), truncated: truncated || undefined };
}
