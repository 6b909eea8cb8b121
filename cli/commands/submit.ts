/** `sidekick submit --from workflowtemplate/NAME -p key=value`: starts a Workflow from a template. */
import { Command, Option, UsageError } from 'clipanion';
import { ApiCommand } from '../base-command.js';
import { PrintedError } from '../errors.js';
import { parseTarget } from '../journal/read.js';
import type { Workflow } from '../../resources/kinds/workflow.js';
import type { WorkflowTemplate } from '../../resources/kinds/workflowtemplate.js';
import { WORKFLOWS, WORKFLOW_TEMPLATES } from '../workflows/refs.js';
import { submitSession } from '../workflows/submit-session.js';

export class SubmitCommand extends ApiCommand {
  static override paths = [['submit']];
  static override usage = Command.Usage({
    category: 'Workflows',
    description: 'Submit a workflow from a template',
    details: `
      Creates a Workflow that runs the WorkflowTemplate, pinned to the template's current digest, with the parameters
      given by \`-p name=value\` (parameters without a default are required; unknown ones are refused). The workflow
      runs in \`--session\`, else in the namespace's only session, else in the session of the channels the template's
      MultiAgent phases copy, else in the session of the namespace's only RepoMount. Its phases work in
      \`--repomount\`, else in the session's \`spec.defaults.repoMount\`, else in the session's only RepoMount (the
      server fills it in); a template with Automated phases or QualityChecks gates is refused without one.
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
    checkParams(template, params);
    const session = await submitSession(client, this.namespace, template, this.session);
    // As a person would write it: admission fills in the defaults (suspend, the session's repo mount) on create.
    const spec = {
      session: session.metadata.name!,
      templateRef: { name: templateName, ...(template.status?.digest ? { digest: template.status.digest } : {}) },
      ...(Object.keys(params).length ? { params } : {}),
      ...(this.repoMount ? { repoMount: this.repoMount } : {}),
    };
    const metadata = this.name ? { name: this.name } : { generateName: `${templateName}-` };
    const created = await client.create<Workflow>(WORKFLOWS, this.namespace, { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Workflow', metadata, spec }, { fieldManager: 'sidekick' });
    this.out(`workflow.sidekicks.dev/${created.metadata.name} created`);
    return 0;
  }
}

/**
 * Refuses parameters the template does not declare and required ones not given, in one line naming
 * the template's parameters (the server refuses them too, but as a 422 about spec.params).
 */
function checkParams(template: WorkflowTemplate, given: Record<string, string>): void {
  const declared = template.spec.params ?? [];
  const ref = `workflowtemplate/${template.metadata.name}`;
  const list = declared.length > 0 ? `parameters: ${declared.map((p) => p.name).join(', ')}` : 'it has no parameters';
  const unknown = Object.keys(given).find((k) => !declared.some((p) => p.name === k));
  if (unknown !== undefined) throw new PrintedError(`error: ${ref} has no parameter ${JSON.stringify(unknown)} (${list})`);
  const missing = declared.filter((p) => p.default === undefined && !(p.name in given)).map((p) => p.name);
  if (missing.length > 0) throw new PrintedError(`error: ${ref} needs ${missing.map((m) => `-p ${m}=VALUE`).join(' ')} (${list})`);
}
