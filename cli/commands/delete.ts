/** `sidekick delete`: delete resources by name, file, label selector or --all; waits until they are gone. */
import { Command, Option, UsageError } from 'clipanion';
import { ApiCommand } from '../base-command.js';
import { ExitCodeError, formatError, isStatusError } from '../errors.js';
import { pluralGroup } from '../resource-resolver.js';
import { parseDryRun } from '../apply/dry-run.js';
import { keptBranchNote } from '../kept-branch.js';
import { DELETE_BRANCH_ANNOTATION } from '../../resources/kinds/run.js';

const CASCADE = { background: 'Background', foreground: 'Foreground', orphan: 'Orphan', true: 'Background', false: 'Orphan' } as const;

export class DeleteCommand extends ApiCommand {
  static override paths = [['delete']];
  static override synopsis = '(-f FILENAME | TYPE [NAME... | -l LABEL | --all] | TYPE/NAME...)';
  static override usage = Command.Usage({
    description: 'Delete resources by file names, stdin, resources and names, or by resources and label selector',
    details: `
      Deletion sets \`deletionTimestamp\`; an object with finalizers (e.g. \`sidekicks.dev/worktree\`) stays until they
      are removed. Deleting a run retires its worktree but keeps its branch (the line says which, and the git command
      that removes it; \`--delete-branch\` deletes it with the run unless it holds work that is not the run's); a run
      created again under the same name works on the next free \`<branch>-2\`. By default the command waits until every deleted object is gone (\`--wait=false\` returns at once).
      Dependents (objects whose \`ownerReferences\` point at a deleted object) are garbage-collected per \`--cascade\`:
      \`background\` (default), \`foreground\` (dependents first), or \`orphan\` (left in place).
    `,
    examples: [
      ['Delete a run', 'sidekick delete run hello'],
      ['Delete a run and its branch', 'sidekick delete run hello --delete-branch'],
      ['Delete what a manifest describes', 'sidekick delete -f run.yaml'],
      ['Delete runs with a label, without waiting', 'sidekick delete runs -l team=auth --wait=false'],
      ['Delete every run in the namespace', 'sidekick delete runs --all'],
    ],
  });

  filenames = Option.Array('-f,--filename', [], { description: 'Files or directories with the resources to delete' });
  recursive = Option.Boolean('-R,--recursive', false, { description: 'Process directories recursively' });
  selector = Option.String('-l,--selector', { description: 'Label selector' });
  fieldSelector = Option.String('--field-selector', { description: 'Field selector' });
  all = Option.Boolean('--all', false, { description: 'Delete all resources of the given types in the namespace' });
  allNamespaces = Option.Boolean('-A,--all-namespaces', false, { description: 'Across all namespaces' });
  cascade = Option.String('--cascade', 'background', { tolerateBoolean: true, description: 'background, foreground or orphan' });
  wait = Option.Boolean('--wait', true, { description: 'Wait for the objects to be gone before returning (default true)' });
  timeout = Option.String('--timeout', '0s', { description: 'How long to wait for deletion (0 waits forever)' });
  ignoreNotFound = Option.Boolean('--ignore-not-found', false, { description: 'Treat "resource not found" as a successful delete' });
  dryRun = Option.String('--dry-run', { tolerateBoolean: true, description: 'none, client or server' });
  output = Option.String('-o,--output', { description: 'Only `name` is supported: print kind.group/name' });
  deleteBranch = Option.Boolean('--delete-branch', false, { description: "Runs: delete the run's branch too, unless it holds work that is not the run's" });
  args = Option.Rest();

  async execute(): Promise<number> {
    const dryRun = parseDryRun(this.dryRun);
    const cascadeKey = String(this.cascade === true ? 'background' : this.cascade) as keyof typeof CASCADE;
    const propagationPolicy = CASCADE[cascadeKey];
    if (!propagationPolicy) throw new UsageError(`invalid cascade value (${String(this.cascade)}). Must be "background", "foreground", or "orphan".`);
    const { expandTargets } = await import('../object-targets.js');
    const { targets, listed } = await expandTargets(
      this.targetQuery(this.args, {
        filenames: this.filenames,
        recursive: this.recursive,
        stdin: this.context.stdin,
        allNamespaces: this.allNamespaces,
        selector: this.selector,
        fieldSelector: this.fieldSelector,
        all: this.all,
      }),
      'resources',
    );
    if (listed && targets.length === 0) {
      this.err(this.allNamespaces ? 'No resources found' : `No resources found in ${this.namespace} namespace.`);
      return 0;
    }
    const suffix = dryRun === 'client' ? ' (dry run)' : dryRun === 'server' ? ' (server dry run)' : '';
    const deleted: typeof targets = [];
    let failed = 0;
    for (const t of targets) {
      try {
        let answer: unknown;
        const withBranch = this.deleteBranch && t.ref.plural === 'runs' && t.ref.group === 'sidekicks.dev';
        if (dryRun === 'client') await this.client().get(t.ref, t.namespace, t.name);
        else {
          // The run's finalizer deletes the branch when the run carries the annotation.
          if (withBranch && dryRun === 'none') await this.client().patch(t.ref, t.namespace, t.name, 'merge', { metadata: { annotations: { [DELETE_BRANCH_ANNOTATION]: 'true' } } }, { fieldManager: 'sidekick' });
          answer = await this.client().delete(t.ref, t.namespace, t.name, { propagationPolicy, dryRun: dryRun === 'server' });
        }
        deleted.push(t);
        // A deleted run's branch stays in the repository: the line says so, and how to remove it.
        const note = dryRun === 'none' && this.output !== 'name' && t.namespace ? await keptBranchNote(this.client(), t.namespace, answer, { deleteBranch: withBranch }) : '';
        this.out(this.output === 'name' ? `${t.ref.kind.toLowerCase()}.${t.ref.group}/${t.name}` : `${t.ref.kind.toLowerCase()}${t.ref.group ? `.${t.ref.group}` : ''} "${t.name}" deleted${suffix}${note}`);
      } catch (err) {
        if (isStatusError(err) && err.reason === 'NotFound' && this.ignoreNotFound) continue;
        if (isStatusError(err) && err.reason === 'NotFound') err.message = `${pluralGroup(t.ref)} "${t.name}" not found`;
        this.err(formatError(err));
        failed++;
      }
    }
    if (this.wait && dryRun === 'none' && deleted.length > 0) {
      const { waitForObject, parseDuration, WaitTimeoutError } = await import('../object-waiter.js');
      const timeoutMs = parseDuration(this.timeout);
      for (const t of deleted) {
        try {
          await waitForObject({ client: this.client(), ref: t.ref, namespace: t.namespace, name: t.name, done: (o) => o === undefined }, { signal: this.context.signal, timeoutMs: timeoutMs > 0 ? timeoutMs : undefined });
        } catch (err) {
          if (err instanceof WaitTimeoutError) {
            this.err(`error: timed out waiting for the condition on ${t.ref.plural}/${t.name}`);
            failed++;
          } else throw err;
        }
      }
    }
    if (failed) throw new ExitCodeError(1);
    return 0;
  }
}
