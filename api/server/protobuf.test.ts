/** Reading the protobuf reviews kubectl sends (`kubectl auth can-i create runs`, `kubectl auth can-i --list`). */
import { describe, expect, test } from '@jest/globals';
import { decodeSelfSubjectAccessReview, decodeSelfSubjectRulesReview } from './protobuf.js';
import { encodeOpenApiV2Info } from './openapi-docs.js';

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

// Captured with `kubectl -v=8 auth can-i --list -n team-a` (kubectl v1.32.4).
const CAPTURED_RULES = Buffer.from(
  [
    '6b3873000a310a17617574686f72697a6174696f6e2e6b38732e696f2f7631121653656c665375626a65637452756c65',
    '7352657669657712220a100a0012001a0022002a0032003800420012080a067465616d2d611a04180022001a002200',
  ].join(''),
  'hex',
);

describe('decodeSelfSubjectRulesReview', () => {
  test('reads type meta and the namespace', () => {
    expect(decodeSelfSubjectRulesReview(CAPTURED_RULES)).toEqual({ apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: { namespace: 'team-a' } });
  });

  test('anything else is a 400, not a crash', () => {
    expect(() => decodeSelfSubjectRulesReview(Buffer.from('k8s\0\x0a\xff'))).toThrow(expect.objectContaining({ reason: 'BadRequest' }));
  });
});

describe('encodeOpenApiV2Info', () => {
  test('writes openapi_v2.Document{swagger, info{title, version}, paths{}} as protobuf', () => {
    const bytes = encodeOpenApiV2Info({ swagger: '2.0', title: 'T', version: 'v' });
    // swagger = 1: "2.0"; info = 2: {title = 1: "T", version = 2: "v"}; paths = 8: empty.
    expect(bytes.toString('hex')).toBe(['0a03322e30', '1206', '0a0154', '120176', '4200'].join(''));
  });
});
