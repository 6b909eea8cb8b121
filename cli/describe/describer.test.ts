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
