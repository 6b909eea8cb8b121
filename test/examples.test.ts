/**
 * Every folder in examples/ applies cleanly against the real server — admission, defaults, schema,
 * cross-field rules and the references a workflow checks — so the examples never drift from the
 * resource schemas. `--dry-run=server` first where nothing refers to an object the folder creates;
 * then for real (controllers off: nothing runs), each example in its own namespace, as a user
 * applies the folder. Relative RepoMount paths resolve as they do for a user.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startHarness, type CliHarness } from './support/cli-harness.js';
import { repo } from './support/daemon.js';

const examples = readdirSync(join(repo, 'examples')).filter((e) => statSync(join(repo, 'examples', e)).isDirectory());

let h: CliHarness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

describe('examples/', () => {
  it('has the examples the README tours', () => {
    expect(examples).toEqual(expect.arrayContaining(['hello', 'openai', 'claude-code', 'codex', 'steering', 'parallel-fanout', 'review-workflow']));
  });

  it.each(examples)('examples/%s applies', async (example) => {
    const dir = join(repo, 'examples', example);
    const ns = ['-n', `example-${example}`];
    const line = /^[a-z]+\.sidekicks\.dev\/[a-z0-9-]+ created( \(server dry run\))?$/;
    // A workflow's references are checked against stored objects, which a dry run does not store.
    const refersToItsOwn = readdirSync(dir).some((f) => f.startsWith('workflow'));
    if (!refersToItsOwn) {
      const dry = await h.sk(['apply', '-f', dir, '--dry-run=server', ...ns]);
      expect(dry).toMatchObject({ code: 0, stderr: '' });
      for (const l of dry.stdout.trim().split('\n')) expect(l).toMatch(line);
    }
    const applied = await h.sk(['apply', '-f', dir, ...ns]);
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);
    const lines = applied.stdout.trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(3);
    for (const l of lines) expect(l).toMatch(line);
    // What is stored is what the files say: nothing left to diff.
    expect(await h.sk(['diff', '-f', dir, ...ns])).toMatchObject({ code: 0, stdout: '' });
  });
});
