import { afterAll, describe, expect, it, beforeAll } from '@jest/globals';
import { symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { lexicalResolve, resolveInWorkspace } from './workspace-path.js';
import { workspaceBesideOutside } from './test-support.js';

describe('lexicalResolve', () => {
  const root = '/ws/root';
  it.each([
    ['a.txt', 'a.txt'],
    ['./src/../a.txt', 'a.txt'],
    ['src/deep/file.ts', 'src/deep/file.ts'],
    ['.', '.'],
    ['', '.'],
    ['/ws/root/src/x', 'src/x'],
    ['src/..', '.'],
    ['..foo', '..foo'],
  ])('%j resolves to %j', (input, relative) => {
    expect(lexicalResolve(root, input)).toEqual({ ok: true, absolute: path.join(root, relative), relative });
  });

  it.each(['..', '../x', 'src/../../x', '/etc/passwd', '/ws/rootx/a', '/ws', 'a/../../rootx'])('%j escapes', (input) => {
    expect(lexicalResolve(root, input)).toEqual({ ok: false, error: `path escapes the workspace: ${input}` });
  });

  it('refuses NUL bytes', () => {
    expect(lexicalResolve(root, 'a\0b').ok).toBe(false);
  });
});

describe('resolveInWorkspace (real filesystem)', () => {
  let root: string;
  let outside: string;
  let cleanup: () => void;

  afterAll(() => cleanup());

  beforeAll(() => {
    ({ root, outside, cleanup } = workspaceBesideOutside('sidekicks-paths-'));
    writeFileSync(path.join(root, 'src', 'a.ts'), 'a');
    writeFileSync(path.join(outside, 'secret'), 's');
    symlinkSync('/etc', path.join(root, 'etc-link'));
    symlinkSync(outside, path.join(root, 'out-link'));
    symlinkSync('src/a.ts', path.join(root, 'inner-link'));
    symlinkSync(path.join(outside, 'missing'), path.join(root, 'dangling'));
  });

  it.each([
    ['src/a.ts', false, 'src/a.ts'],
    ['src/new/file.ts', true, 'src/new/file.ts'],
    ['inner-link', false, 'src/a.ts'],
    ['.git/config', false, '.git/config'],
  ])('%j (write=%s) is inside at %j', async (input, write, real) => {
    expect(await resolveInWorkspace(root, input, { write })).toEqual({ ok: true, absolute: path.join(root, real), relative: input });
  });

  it.each([
    ['etc-link/passwd', false, 'path escapes the workspace: etc-link/passwd'],
    ['etc-link', false, 'path escapes the workspace: etc-link'],
    ['out-link/secret', false, 'path escapes the workspace: out-link/secret'],
    ['out-link/new-file', true, 'path escapes the workspace: out-link/new-file'],
    ['dangling', true, 'path is a symbolic link to a missing target: dangling'],
    ['.git/config', true, 'refusing to write inside .git: .git/config'],
    ['src/../.GIT/hooks/pre-commit', true, 'refusing to write inside .git: src/../.GIT/hooks/pre-commit'],
    ['../outside/secret', false, 'path escapes the workspace: ../outside/secret'],
    ['src/a.ts/x', true, 'not a directory: src/a.ts/x'],
  ])('%j (write=%s) is refused', async (input, write, error) => {
    expect(await resolveInWorkspace(root, input, { write })).toEqual({ ok: false, error });
  });
});
