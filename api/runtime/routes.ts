/**
 * How features add endpoints under `/api/runtime/v1` (the versioned node API): each is a route the
 * control plane's runtime API router matches after authenticating the caller.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** A node, as its access token proved. */
export interface AuthenticatedNode {
  name: string;
  /** The Participant who owns the node (RuntimeNode spec.owner). */
  owner: string;
}

export interface RuntimeRoute {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Matched against the path below RUNTIME_API_PREFIX (no query), e.g. /^\/models\/([^/]+)\/([^/]+)\/(.*)$/. */
  path: RegExp;
  /** `node`: a node's access token is required (and its credential must not be revoked). */
  auth: 'node' | 'anonymous';
  handle(req: IncomingMessage, res: ServerResponse, ctx: { match: RegExpExecArray; node?: AuthenticatedNode }): Promise<void>;
}
