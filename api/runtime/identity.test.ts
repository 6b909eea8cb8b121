/** The protocol-range checks both sides make, and the fingerprint: table tests. */
import { describe, expect, it } from '@jest/globals';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { keyFingerprint, refuseNodeProtocol, refuseServerProtocol } from './identity.js';
import { parseRegistrationToken } from './registration-tokens.js';

describe('protocol ranges', () => {
  it.each([
    [1, { current: 1, oldest: 1 }, undefined],
    [2, { current: 3, oldest: 2 }, undefined],
    [4, { current: 3, oldest: 2 }, 'node protocol 4 is not supported by this control plane (protocol 2-3): upgrade the control plane'],
    [1, { current: 3, oldest: 2 }, 'node protocol 1 is not supported by this control plane (protocol 2-3): upgrade the node'],
    [Number.NaN, { current: 1, oldest: 1 }, 'node protocol NaN is not supported by this control plane (protocol 1): upgrade the node'],
  ])('the control plane: node %p against %j', (node, server, expected) => {
    expect(refuseNodeProtocol(node, server)).toBe(expected);
  });

  it.each([
    [{ current: 1, oldest: 1 }, { current: 1, oldest: 1 }, undefined],
    [{ current: 3, oldest: 1 }, { current: 2, oldest: 2 }, undefined],
    [{ current: 1, oldest: 1 }, { current: 3, oldest: 2 }, 'the control plane speaks node protocol 1, this node 2-3: upgrade the control plane'],
    [{ current: 5, oldest: 4 }, { current: 2, oldest: 1 }, 'the control plane speaks node protocol 4-5, this node 1-2: upgrade this node (sidekick)'],
  ])('the node: server %j against node %j', (server, node, expected) => {
    expect(refuseServerProtocol(server, node)).toBe(expected);
  });
});

describe('identity', () => {
  it('is the SHA-256 of the public key SPKI DER, from a KeyObject or its JWK alike', () => {
    const { publicKey } = generateKeyPairSync('ed25519');
    const expected = createHash('sha256').update(publicKey.export({ format: 'der', type: 'spki' })).digest('hex');
    expect(keyFingerprint(publicKey)).toBe(expected);
    expect(keyFingerprint(publicKey.export({ format: 'jwk' }))).toBe(expected);
  });

  it('parses only well-formed registration tokens', () => {
    const fp = 'a'.repeat(64);
    const secret = 'B'.repeat(43);
    expect(parseRegistrationToken(`SKN1${fp}::0123456789abcdef.${secret}`)).toEqual({ fingerprint: fp, id: '0123456789abcdef', credential: `0123456789abcdef.${secret}` });
    for (const bad of [`SKN2${fp}::0123456789abcdef.${secret}`, `SKN1${fp}:0123456789abcdef.${secret}`, `SKN1${fp}::0123456789abcdef.${secret}x`, 'skt_abc', '']) {
      expect(parseRegistrationToken(bad)).toBeUndefined();
    }
  });
});
