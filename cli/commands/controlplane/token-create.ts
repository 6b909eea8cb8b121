/** `sidekick controlplane token create NAME --signing-key FILE`: sign an API token for the control plane, offline. */
import { Command, Option, UsageError } from 'clipanion';
import { SidekickCommand } from '../../base-command.js';

export class ControlplaneTokenCreateCommand extends SidekickCommand {
  static override paths = [['controlplane', 'token', 'create']];
  static override usage = Command.Usage({
    category: 'Access',
    description: 'Sign a bearer token for the control plane',
    details: `
      Signs a token for the identity NAME with ROLE (default Viewer) using the control plane's signing key, and prints
      only the token. Nothing is sent anywhere and nothing is stored: every replica that loads the same key accepts the
      token until it expires (\`--ttl\`, default 720h, at most 8760h). There is no revocation yet, so prefer short lifetimes;
      replacing the signing key invalidates every token.

      The key is the file the control plane runs with (\`--signing-key\`, or SIDEKICK_SIGNING_KEY_FILE): a PEM Ed25519,
      ECDSA P-256 or RSA (2048 bits or more) private key that other users cannot read.
    `,
    examples: [
      ['The first Owner token', 'sidekick controlplane token create alice --role Owner --signing-key /etc/sidekick/signing.key'],
      ['A runtime node, for a week', 'sidekick controlplane token create node-1 --role RuntimeContributor --ttl 168h --signing-key signing.key'],
    ],
  });

  name = Option.String({ name: 'NAME' });
  signingKey = Option.String('--signing-key', { description: 'PEM private key file (default: $SIDEKICK_SIGNING_KEY_FILE)' });
  role = Option.String('--role', { description: 'Owner, Collaborator, Viewer or RuntimeContributor (default Viewer)' });
  ttl = Option.String('--ttl', { description: 'How long the token is valid: 720h, 30d, 90m (default 720h)' });

  async execute(): Promise<number> {
    const { parseRole, roleNames, invalidIdentityName, Role } = await import('../../../api/auth/roles.js');
    const { parseHumanDuration } = await import('../../../api/human-duration.js');
    const { DEFAULT_TOKEN_TTL_MS, MAX_TOKEN_TTL_MS, SignedTokens } = await import('../../../api/auth/signed-tokens.js');
    const { loadSigningKey } = await import('../../../api/auth/signing-key.js');

    const why = invalidIdentityName(this.name);
    if (why) throw new UsageError(`NAME "${this.name}": ${why}`);
    const role = this.role === undefined ? Role.Viewer : parseRole(this.role);
    if (!role) throw new UsageError(`--role must be one of ${roleNames()}; got "${this.role}"`);
    const ttlMs = this.ttl === undefined ? DEFAULT_TOKEN_TTL_MS : parseHumanDuration(this.ttl);
    const maxHours = MAX_TOKEN_TTL_MS / 3_600_000;
    if (ttlMs === undefined || ttlMs < 1000 || ttlMs > MAX_TOKEN_TTL_MS) {
      throw new UsageError(`--ttl must be a duration between 1s and ${maxHours}h, such as 720h, 30d or 90m; got "${this.ttl}"`);
    }
    const path = this.signingKey || this.context.env.SIDEKICK_SIGNING_KEY_FILE;
    if (!path) throw new UsageError('--signing-key is required (or set SIDEKICK_SIGNING_KEY_FILE)');

    const key = await loadSigningKey(path, { warn: (line) => this.err(line) });
    const token = await new SignedTokens(key).issue(this.name, role, { ttlMs });
    // Only the token on stdout, so $(sidekick controlplane token create …) captures it.
    this.out(token);
    return 0;
  }
}
