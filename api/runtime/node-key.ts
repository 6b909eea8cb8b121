/**
 * A runtime node's key pair (Ed25519): the node keeps the private half in its credentials file;
 * the control plane keeps only the public half, and checks with it the node's token requests and
 * the signature on every message the node publishes.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type JsonWebKey, type KeyObject } from 'node:crypto';

export interface NodeKeyPair {
  publicKey: JsonWebKey;
  privateKey: JsonWebKey;
}

export function generateNodeKey(): NodeKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return { publicKey: publicKey.export({ format: 'jwk' }), privateKey: privateKey.export({ format: 'jwk' }) };
}

/** Signs bytes with a node's private key: base64url. */
export function signWithNodeKey(privateKey: JsonWebKey | KeyObject, data: Uint8Array): string {
  const key = 'asymmetricKeyType' in privateKey ? (privateKey as KeyObject) : createPrivateKey({ key: privateKey as JsonWebKey & { kty: string }, format: 'jwk' });
  return sign(null, data, key).toString('base64url');
}

/** True when `signature` (base64url) is the node key's signature of `data`. Never throws. */
export function verifyNodeSignature(publicKey: JsonWebKey | KeyObject, data: Uint8Array, signature: string): boolean {
  try {
    const key = 'asymmetricKeyType' in publicKey ? (publicKey as KeyObject) : createPublicKey({ key: publicKey as JsonWebKey & { kty: string }, format: 'jwk' });
    return verify(null, data, key, Buffer.from(signature, 'base64url'));
  } catch {
    return false;
  }
}
