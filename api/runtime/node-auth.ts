/**
 * Authentication that knows about nodes: signed tokens as before, and for a node's access token
 * (`system:node:<name>`, role Node) a check on every request that the node's credential still
 * stands. Access tokens live 15 minutes, so without this a revoked laptop would keep working
 * until its last token expired; with it, its next call is refused.
 */
import type { IncomingMessage } from 'node:http';
import { Role } from '../auth/roles.js';
import type { SignedTokens } from '../auth/signed-tokens.js';
import { ApiError, StatusReason } from '../errors.js';
import type { Authenticator, Principal } from '../server/auth.js';
import { bearerToken } from '../server/signed-token-auth.js';
import type { NodeRegistry } from './node-registry.js';
import { nodeOfPrincipal } from './protocol.js';
import type { AuthenticatedNode } from './routes.js';

/** The 401 a revoked (or unregistered) node gets, with a message its operator can act on. */
export function nodeRefused(node: string, revokedAt?: string): ApiError {
  return new ApiError(
    StatusReason.Unauthorized,
    revokedAt
      ? `node "${node}" was revoked (at ${revokedAt}): an Owner must create a new registration token (sidekick token create --node ${node}) to register it again`
      : `node "${node}" is not registered with this control plane`,
  );
}

/** Signed tokens, plus the revocation check for nodes. */
export class NodeAuthenticator implements Authenticator {
  constructor(
    private readonly tokens: SignedTokens,
    private readonly registry: NodeRegistry,
  ) {}

  async authenticate(req: IncomingMessage): Promise<Principal | undefined> {
    const token = bearerToken(req);
    if (token === undefined) return undefined;
    const principal = await this.tokens.verify(token);
    if (!principal) return undefined;
    const node = nodeOfPrincipal(principal.name);
    if (node === undefined && principal.role !== Role.Node) return principal;
    // A node principal with another role, or the Node role on another name, is never issued.
    if (node === undefined || principal.role !== Role.Node) return undefined;
    await this.nodeOf(node);
    return principal;
  }

  /** The node behind a verified node principal; throws the 401 when it is revoked or unknown. */
  async nodeOf(node: string): Promise<AuthenticatedNode> {
    const credential = await this.registry.credentialOf(node);
    if (!credential || credential.revoked) throw nodeRefused(node, credential?.revoked);
    return { name: node, owner: credential.owner };
  }
}
