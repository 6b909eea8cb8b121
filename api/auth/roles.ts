/**
 * The roles an identity can hold, and the names identities may have. A role is only a name here:
 * what each role may do is decided by the Cedar policies (policies/roles.cedar).
 */

/** The roles of DOMAIN.md's "Control plane, people and trust". */
export const Role = {
  Owner: 'Owner',
  Collaborator: 'Collaborator',
  Viewer: 'Viewer',
  RuntimeContributor: 'RuntimeContributor',
  /**
   * A registered runtime node (`sidekick serve`), as its short-lived access token says: only
   * ever held by `system:node:<name>`, never issued to a person.
   */
  Node: 'Node',
} as const;
export type Role = (typeof Role)[keyof typeof Role];

/** The roles a person's token can carry: Node is only ever issued by the node token exchange. */
const ROLES = (Object.values(Role) as string[]).filter((r) => r !== Role.Node);

/** The person's role named `value` (case-insensitive), or undefined (also for Node). */
export function parseRole(value: string): Role | undefined {
  return ROLES.find((r) => r.toLowerCase() === value.toLowerCase()) as Role | undefined;
}

/** Every role a person can hold, for messages and help. */
export function roleNames(): string {
  return ROLES.join(', ');
}

/** An identity as the authorizer sees it: a name and, when known, its role. */
export interface Identity {
  name: string;
  /** Undefined for a name nobody issued (an impersonated stranger): every policy then denies. */
  role?: Role;
}

/** Identity names: what a kube-apiserver user name usually looks like (`bob`, `ci-bot`, `alice@example.com`). */
const NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._@-]{0,126}[A-Za-z0-9])?$/;

/** Why `name` cannot name an identity, or undefined when it can. */
export function invalidIdentityName(name: string): string | undefined {
  return NAME.test(name) ? undefined : `must be 1-128 letters, digits, '.', '_', '@' or '-', starting and ending with a letter or digit`;
}

/** A node principal's name: `system:node:` and a DNS-1123 subdomain (the RuntimeNode's name). */
const NODE_PRINCIPAL = /^system:node:[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?$/;

/**
 * Why `name` cannot hold `role`, or undefined when it can: the role Node belongs to node
 * principals (`system:node:<name>`) only, and node principals to no other role, so a person's
 * token can never pass for a node's and the reverse.
 */
export function invalidPrincipalName(name: string, role: Role): string | undefined {
  if (role === Role.Node) return NODE_PRINCIPAL.test(name) ? undefined : 'the role Node is only for system:node:<node name>';
  return invalidIdentityName(name);
}
