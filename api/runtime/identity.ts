/**
 * The control plane's identity as nodes see it: the SHA-256 fingerprint of its token-signing
 * public key (SPKI DER, hex), which a registration token carries and a node pins, and the
 * protocol-range checks both sides make. docs/decisions/0029-runtime-node-identity.md.
 */
import { createHash, createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import type { SigningKey } from '../auth/signing-key.js';
import { RUNTIME_PROTOCOL, type RuntimeInfo } from './protocol.js';

/** SHA-256 hex of a public key's SPKI DER: the control plane's identity. */
export function keyFingerprint(publicKey: KeyObject | JsonWebKey): string {
  const key = 'asymmetricKeyType' in publicKey ? (publicKey as KeyObject) : createPublicKey({ key: publicKey as JsonWebKey & { kty: string }, format: 'jwk' });
  return createHash('sha256').update(key.export({ format: 'der', type: 'spki' })).digest('hex');
}

/** The fingerprint a RuntimeInfo's public key really has; never trust the `fingerprint` field alone. Undefined when the key does not parse. */
export function fingerprintOfInfo(info: RuntimeInfo): string | undefined {
  try {
    return keyFingerprint(info.identity.publicKey);
  } catch {
    return undefined;
  }
}

/** `GET /api/runtime/v1/info`'s answer for a control plane with `key`. */
export function runtimeInfo(key: SigningKey, serverVersion: string, nats: string[]): RuntimeInfo {
  return {
    serverVersion,
    protocol: { current: RUNTIME_PROTOCOL.current, oldest: RUNTIME_PROTOCOL.oldest },
    identity: { fingerprint: keyFingerprint(key.publicKey), publicKey: key.publicKey.export({ format: 'jwk' }), alg: key.alg },
    nats,
  };
}

/** A protocol range: what a peer sends (`current`) and the oldest it still speaks. */
export interface ProtocolRange {
  current: number;
  oldest: number;
}

/** A short text of a range, for messages: `1` or `1-3`. */
function rangeText(r: ProtocolRange): string {
  return r.oldest === r.current ? `${r.current}` : `${r.oldest}-${r.current}`;
}

/**
 * Why the control plane refuses a node that sends protocol `nodeVersion`, or undefined when it
 * speaks it. The message names both versions (README: "Runtime nodes: compatibility").
 */
export function refuseNodeProtocol(nodeVersion: number, server: ProtocolRange = RUNTIME_PROTOCOL): string | undefined {
  if (Number.isInteger(nodeVersion) && nodeVersion >= server.oldest && nodeVersion <= server.current) return undefined;
  const side = nodeVersion > server.current ? 'upgrade the control plane' : 'upgrade the node';
  return `node protocol ${nodeVersion} is not supported by this control plane (protocol ${rangeText(server)}): ${side}`;
}

/** Why a node refuses a control plane whose range is `server`, or undefined when they overlap. */
export function refuseServerProtocol(server: ProtocolRange, node: ProtocolRange = RUNTIME_PROTOCOL): string | undefined {
  if (server.current >= node.oldest && server.oldest <= node.current) return undefined;
  const side = server.current < node.oldest ? 'upgrade the control plane' : 'upgrade this node (sidekick)';
  return `the control plane speaks node protocol ${rangeText(server)}, this node ${rangeText(node)}: ${side}`;
}
