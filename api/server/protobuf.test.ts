/** Reading the protobuf SelfSubjectAccessReview kubectl sends (`kubectl auth can-i create runs`). */
import { describe, expect, test } from '@jest/globals';
import { decodeSelfSubjectAccessReview } from './protobuf.js';

// Captured with `kubectl -v=8 auth can-i create runs` (kubectl v1.32.4).
const CAPTURED = Buffer.from(
  [
    '6b3873000a320a17617574686f72697a6174696f6e2e6b38732e696f2f7631121753656c665375626a65637441636365',
    '7373526576696577124c0a100a0012001a0022002a00320038004200122e0a2c0a0764656661756c7412066372656174',
    '651a0d736964656b69636b732e64657622002a0472756e7332003a001a08080012001a0020001a002200',
  ].join(''),
  'hex',
);

describe('decodeSelfSubjectAccessReview', () => {
  test('reads type meta and resource attributes, leaving empty strings out', () => {
    expect(decodeSelfSubjectAccessReview(CAPTURED)).toEqual({
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      spec: { resourceAttributes: { namespace: 'default', verb: 'create', group: 'sidekicks.dev', resource: 'runs' } },
    });
  });

  test('anything else is a 400, not a crash', () => {
    expect(() => decodeSelfSubjectAccessReview(Buffer.from('{"kind":"SelfSubjectAccessReview"}'))).toThrow(expect.objectContaining({ reason: 'BadRequest' }));
    expect(() => decodeSelfSubjectAccessReview(Buffer.concat([CAPTURED.subarray(0, 30)]))).toThrow(/truncated/);
  });
});
