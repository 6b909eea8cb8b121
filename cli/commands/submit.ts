/** `sidekick submit --from workflowtemplate/NAME -p key=value`: starts a Workflow from a template. */
import { Command, Option, UsageError } from 'clipanion';
import { ApiCommand } from '../base-command.js';
import { PrintedError } from '../errors.js';
import { SESSIONS, parseTarget } from '../journal/read.js';
import type { Session } from '../../resources/kinds/session.js';
import type { Workflow } from '../../resources/kinds/workflow.js';
import type { WorkflowTemplate } from '../../resources/kinds/workflowtemplate.js';
import { WORKFLOWS, WORKFLOW_TEMPLATES } from '../workflows/refs.js';

export class SubmitCommand extends ApiCommand {
  static override paths = [['submit']];
  static override usage = Command.Usage({
    category: 'Workflows',
    description: 'Submit a workflow from a template',
    details: `
      Creates a Workflow that runs the WorkflowTemplate, pinned to the template's current digest, with the parameters
      given by \`-p name=value\` (parameters without a default are required). The workflow runs in \`--session\`, or in
      the namespace's only session; its phases work in \`--repomount\`, or in the session's default repo mount.
      Like \`argo submit --from workflowtemplate/NAME\`.
    `,
    examples: [
      ['Run template review for issue 142', 'sidekick submit --from workflowtemplate/review -p issue=142'],
      ['Name the workflow and choose the session', 'sidekick submit --from wft/review --name review-142 --session auth -p issue=142'],
    ],
  });

  from = Option.String('--from', { required: true, description: 'The template: workflowtemplate/NAME' });
  params = Option.Array('-p,--parameter', [], { description: 'A parameter, name=value (repeatable)' });
  session = Option.String('--session', { description: 'The Session to run in' });
  repoMount = Option.String('--repomount', { description: 'The RepoMount the phases work in' });
  name = Option.String('--name', { description: 'The workflow name (default: the template name and a random suffix)' });

  async execute(): Promise<number> {
    const templateName = parseTarget(this.from, ['workflowtemplate', 'workflowtemplates', 'wft', 'workflowtemplate.sidekicks.dev', 'workflowtemplates.sidekicks.dev']);
    if (!templateName || !this.from.includes('/')) throw new UsageError(`--from must be workflowtemplate/NAME, got "${this.from}"`);
    const params: Record<string, string> = {};
    for (const p of this.params) {
      const eq = p.indexOf('=');
      if (eq <= 0) throw new UsageError(`-p must be name=value, got "${p}"`);
      params[p.slice(0, eq)] = p.slice(eq + 1);
    }
    const client = this.client();
    const template = await client.get<WorkflowTemplate>(WORKFLOW_TEMPLATES, this.namespace, templateName);
    const session = await this.pickSession();
    const repoMount = this.repoMount ?? session.spec.defaults?.repoMount;
    // As a person would write it: admission fills in the defaults (suspend) on create.
    const spec = {
      session: session.metadata.name!,
      templateRef: { name: templateName, ...(template.status?.digest ? { digest: template.status.digest } : {}) },
      ...(Object.keys(params).length ? { params } : {}),
      ...(repoMount ? { repoMount } : {}),
    };
    const metadata = this.name ? { name: this.name } : { generateName: `${templateName}-` };
    const created = await client.create<Workflow>(WORKFLOWS, this.namespace, { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Workflow', metadata, spec }, { fieldManager: 'sidekick' });
    this.out(`workflow.sidekicks.dev/${created.metadata.name} created`);
    return 0;
  }

  private async pickSession(): Promise<Session> {
    const client = this.client();
    if (this.session) return client.get<Session>(SESSIONS, this.namespace, this.session);
    const sessions = (await client.list<Session>(SESSIONS, { namespace: this.namespace })).items;
    if (sessions.length === 1) return sessions[0]!;
    throw new PrintedError(
      sessions.length === 0
        ? `error: no session in namespace ${this.namespace}; create one first`
        : `error: namespace ${this.namespace} has ${sessions.length} sessions; choose one with --session`,
    );
  }
}
