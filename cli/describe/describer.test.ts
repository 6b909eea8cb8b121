/** `describe approvalpolicy`: a remembered rule shows who made it, when, and from which approval. */
import { describe, expect, test } from '@jest/globals';
import type { KubeObject } from '../../resources/meta.js';
import { describeObject } from './describer.js';

describe('describeObject', () => {
  test('an ApprovalPolicy shows who made each remembered rule', () => {
    const policy = {
      apiVersion: 'sidekicks.dev/v1alpha1',
      kind: 'ApprovalPolicy',
      metadata: { name: 'remembered-run-r1', namespace: 'default' },
      spec: {
        session: 's1',
        rules: [{ category: 'ToolExecution', action: 'Allow', match: { command: 'npm test' }, participant: 'carol', rememberedAt: '2026-12-05T01:00:00Z', approval: 'r1-tool-1' }],
      },
    } as KubeObject;
    const lines = describeObject(policy, undefined).split('\n').map((l) => l.trim().replace(/\s+/g, ' '));
    expect(lines).toEqual(expect.arrayContaining(['Participant: carol', 'Remembered At: 2026-12-05T01:00:00Z', 'Approval: r1-tool-1', 'Action: Allow']));
  });
});

describe('multi-line values', () => {
  const details = 'Keep the old API?\n  - as a shim\n  - or remove it';
  const approval = {
    apiVersion: 'sidekicks.dev/v1alpha1',
    kind: 'Approval',
    metadata: { name: 'q1', namespace: 'default', annotations: { note: 'first\nsecond' } },
    spec: { session: 's1', run: 'r1', category: 'UserInput', request: { summary: 'Which API?', details }, notes: ['one\ntwo', 'three'] },
  } as unknown as KubeObject;
  const lines = describeObject(approval, undefined).split('\n');

  /** The lines of the value under `key`, with the column its first line starts at. */
  function valueBlock(key: string, count: number): { column: number; block: string[] } {
    const at = lines.findIndex((l) => l.trimStart().startsWith(`${key}:`));
    const column = lines[at].search(/(?<=:\s+)\S/);
    return { column, block: lines.slice(at, at + count) };
  }

  test('every line of request.details stays in the value column under its key', () => {
    const { column, block } = valueBlock('Details', 3);
    expect(column).toBeGreaterThan(lines[lines.findIndex((l) => l.trimStart().startsWith('Details:'))].indexOf('Details'));
    expect(block.map((l) => l.slice(column))).toEqual(details.split('\n'));
    for (const l of block.slice(1)) expect(l.slice(0, column).trim()).toBe('');
    // The next key is back at the Details key's indentation.
    expect(lines[lines.findIndex((l) => l.trimStart().startsWith('Details:')) + 3]).toMatch(/^ {4}Summary: +Which API\?$/);
  });

  test('multi-line annotations and list items stay indented too', () => {
    const { column, block } = valueBlock('Annotations', 2);
    expect(block.map((l) => l.slice(column))).toEqual(['note: first', 'second']);
    const notes = lines.findIndex((l) => l.trim() === 'Notes:');
    expect(lines.slice(notes + 1, notes + 4)).toEqual(['    one', '      two', '    three']);
  });
});
