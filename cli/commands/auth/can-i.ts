/** `sidekick auth can-i VERB TYPE [NAME]`: may I (or, for the owner, may NAME) do this? yes/no, exit 0/1. */
import { Command, Option, UsageError } from 'clipanion';
import { ApiCommand } from '../../base-command.js';

/** Verbs the policies know; anything else gets kubectl's warning (and is answered no). */
const KNOWN_VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection', '*'];

interface ReviewStatus {
  allowed?: boolean;
  denied?: boolean;
  reason?: string;
}

export class AuthCanICommand extends ApiCommand {
  static override paths = [['auth', 'can-i']];
  static override usage = Command.Usage({
    category: 'Access',
    description: 'Check whether an action is allowed',
    details: `
      Asks the API server whether the identity this CLI authenticates as may perform VERB on TYPE (optionally the object
      NAME), as the server's Cedar policies decide it, and prints \`yes\` or \`no\` — exit code 0 for yes, 1 for no, like
      \`kubectl auth can-i\`. A \`no\` caused by an explicit forbid policy is followed by the policy that forbade it.

      Ownership counts: a Collaborator may patch the runs they created and decide the approvals of those runs, so ask about
      a named object (\`can-i patch runs fix-login\`) to get the answer for that object.

      \`--as NAME\` asks on behalf of another identity (the owner's privilege, sent as kubectl's \`Impersonate-User\`
      header). To act as another identity, authenticate with its token instead: \`--token\` or \`SIDEKICK_TOKEN\`.
      Verbs: get, list, watch, create, update, patch, delete, deletecollection, or \`*\` for all of them.
    `,
    examples: [
      ['May I create runs in the current namespace?', 'sidekick auth can-i create runs'],
      ['May I decide this approval?', 'sidekick auth can-i patch approvals fix-login-tool-4'],
      ['May bob delete runs in namespace team-a? (asked by the owner)', 'sidekick auth can-i delete runs -n team-a --as bob'],
      ['May I read run status, quietly (exit code only)?', 'sidekick auth can-i get runs --subresource status -q'],
    ],
  });

  verb = Option.String({ name: 'VERB' });
  type = Option.String({ name: 'TYPE[/NAME]' });
  name = Option.String({ name: 'NAME', required: false });
  as = Option.String('--as', { description: 'Ask on behalf of this identity (owner only)' });
  allNamespaces = Option.Boolean('-A,--all-namespaces', false, { description: 'Ask about all namespaces' });
  subresource = Option.String('--subresource', { description: 'A subresource, e.g. status or timeline' });
  quiet = Option.Boolean('-q,--quiet', false, { description: 'Print nothing; only the exit code answers' });

  async execute(): Promise<number> {
    const verb = this.verb.toLowerCase();
    const slash = this.type.indexOf('/');
    const typeName = slash >= 0 ? this.type.slice(0, slash) : this.type;
    const name = slash >= 0 ? this.type.slice(slash + 1) : this.name;
    if (slash >= 0 && this.name !== undefined) throw new UsageError('give the name either as TYPE/NAME or as NAME, not both');
    if (!KNOWN_VERBS.includes(verb) && !this.quiet) this.err(`Warning: verb '${this.verb}' is not a known verb`);

    let group = '';
    let plural = typeName;
    let namespaced = true;
    if (typeName !== '*') {
      try {
        const resolved = await this.resolver().resolve(typeName);
        ({ group, plural, namespaced } = resolved);
      } catch (err) {
        if (!(err instanceof UsageError)) throw err;
        // Like kubectl: ask anyway about the name as given; the server answers no.
        if (!this.quiet) this.err(`Warning: the server doesn't have a resource type '${typeName}'`);
      }
    } else {
      group = '*';
    }
    const namespace = namespaced && !this.allNamespaces ? this.namespace : '';
    const review = {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      spec: { resourceAttributes: { namespace, verb, group, resource: plural, ...(this.subresource ? { subresource: this.subresource } : {}), ...(name ? { name } : {}) } },
    };
    const { SELF_SUBJECT_ACCESS_REVIEWS } = await import('../../auth/refs.js');
    const answer = await this.client().call<{ status?: ReviewStatus }>('POST', SELF_SUBJECT_ACCESS_REVIEWS, {
      body: review,
      headers: this.as ? { 'impersonate-user': this.as } : {},
    });
    const status = answer.status ?? {};
    if (!this.quiet) this.out(status.allowed ? 'yes' : `no${status.reason ? ` - ${status.reason}` : ''}`);
    return status.allowed ? 0 : 1;
  }
}
