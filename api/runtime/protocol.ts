/**
 * The runtime-node protocol, shared by the control plane and `sidekick serve`: the versioned HTTP
 * paths (`/api/runtime/v1`), the JetStream stream and subjects status and journal travel on, the
 * messages' shapes and headers. A node and a control plane speak when their protocol ranges
 * overlap; otherwise each refuses the other with a message naming both versions (README:
 * "Runtime nodes: compatibility").
 */
import type { JsonWebKey } from 'node:crypto';
import type { KubeObject } from '../../resources/meta.js';
import type { JournalEvent } from '../journal/event.js';

/** The HTTP API a node calls, by version. */
export const RUNTIME_API_VERSION = 'v1';
export const RUNTIME_API_PREFIX = `/api/runtime/${RUNTIME_API_VERSION}`;

/**
 * Protocol versions this build speaks: `current` is what it sends; it accepts a peer whose range
 * [oldest, current] overlaps its own. Raise `current` for an additive change, `oldest` when a
 * change drops something older peers need.
 */
export const RUNTIME_PROTOCOL = { current: 1, oldest: 1 } as const;

/**
 * The JetStream stream that carries every node's status and journal to the control plane: these
 * are the default names; a control plane and its nodes use the ones of its identity
 * (`runtimeStreamNamesFor` in stream.ts), so control planes sharing a NATS server stay apart.
 */
export const RUNTIME_STREAM = 'SIDEKICK_RUNTIME_V1';
/** Subjects of the stream: `sidekick.runtime.v1.<node>.<journal|object>`. */
export const RUNTIME_SUBJECTS = 'sidekick.runtime.v1.>';
/** The control plane's durable consumer of the stream. */
export const RUNTIME_CONSUMER = 'sidekick-controlplane';

/** A NATS subject token for a node name (node names are DNS-1123 and may hold '.', which subjects split on). */
export function subjectToken(nodeName: string): string {
  return nodeName.replace(/\./g, '_');
}

/** Where nodes renew their Leases (like kube-node-lease): one Lease per node, named as the node. */
export const NODE_LEASE_NAMESPACE = 'sidekick-node-lease';

/** Message headers (besides JetStream's `Nats-Msg-Id`). */
export const HEADER_NODE = 'Sidekick-Node';
/** base64url Ed25519 signature of the message body by the node's key. */
export const HEADER_SIGNATURE = 'Sidekick-Signature';
export const HEADER_PROTOCOL = 'Sidekick-Protocol';

/** One journal event of a node's local session journal, in the node's sequence order. */
export interface JournalMessage {
  kind: 'journal';
  node: string;
  /** `namespace/name` of the session. */
  session: string;
  /** The event as the node's local journal holds it (its local sequence and hashes). */
  event: JournalEvent;
}

/**
 * An object change on the node: a Run's or Intervention's status, an Approval, Artifact or Event
 * the node created. `localResourceVersion` orders a node's changes of one object.
 */
export interface ObjectMessage {
  kind: 'object';
  node: string;
  plural: string;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  localResourceVersion: number;
  object: KubeObject;
}

export type RuntimeMessage = JournalMessage | ObjectMessage;

/** The principal name of a node's access tokens (like Kubernetes' `system:node:<name>`). */
export function nodePrincipal(nodeName: string): string {
  return `system:node:${nodeName}`;
}

/** The node a principal name is, or undefined when it is not a node's. */
export function nodeOfPrincipal(name: string): string | undefined {
  return name.startsWith('system:node:') ? name.slice('system:node:'.length) : undefined;
}

/** `GET /api/runtime/v1/info`, anonymous: who the control plane is and what it speaks. */
export interface RuntimeInfo {
  /** The sidekick version of the control plane binary. */
  serverVersion: string;
  protocol: { current: number; oldest: number };
  /** The control plane's identity: its token-signing public key and that key's SHA-256 fingerprint. */
  identity: { fingerprint: string; publicKey: JsonWebKey; alg: string };
  /** NATS servers nodes publish to (as the control plane was told with --nats / node-facing override). */
  nats: string[];
}
