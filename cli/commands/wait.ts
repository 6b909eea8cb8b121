/** `sidekick wait`: block until resources reach a condition, a JSONPath value, or are deleted. */
import { Command, Option, UsageError } from 'clipanion';
import { ApiCommand } from '../base-command.js';
import { ExitCodeError, formatError, isStatusError } from '../errors.js';
import { kindGroup } from '../resource-resolver.js';

export class WaitCommand extends ApiCommand {
  static override paths = [['wait']];
  static override synopsis = '(-f FILENAME | TYPE[/NAME]... | TYPE -l LABEL) --for=CONDITION';
  static override usage = Command.Usage({
    description: 'Wait for a specific condition on one or many resources',
    details: `
      Follows each object's watch (no polling) until the condition holds, then prints \`kind.group/name condition met\`.
      \`--for=condition=Type[=value]\` (value defaults to True), \`--for=jsonpath='{.path}'=value\`, \`--for=delete\`,
      \`--for=create\`. After \`--timeout\` (default 30s) it fails with "timed out waiting for the condition".
    `,
    examples: [
      ['Wait until a run is Ready', 'sidekick wait run/hello --for=condition=Ready --timeout=60s'],
      ['Wait until a run completes', `sidekick wait run/hello --for=jsonpath='{.status.phase}'=Completed --timeout=10m`],
      ['Wait until a run is gone', 'sidekick wait run/hello --for=delete'],
    ],
  });

  forCondition = Option.String('--for', { description: 'delete, create, condition=Type[=value] or jsonpath={.path}=value' });
  timeout = Option.String('--timeout', '30s', { description: 'How long to wait (0 checks once; negative waits a week)' });
  selector = Option.String('-l,--selector', { description: 'Label selector' });
  all = Option.Boolean('--all', false, { description: 'Every resource of the type' });
  allNamespaces = Option.Boolean('-A,--all-namespaces', false, { description: 'Across all namespaces' });
  filenames = Option.Array('-f,--filename', [], { description: 'Files identifying the resources' });
  args = Option.Rest();

  async execute(): Promise<number> {
    if (!this.forCondition) throw new UsageError('--for must be specified');
    const { parseWaitFor } = await import('../wait-condition.js');
    const { waitForObject, parseDuration, WaitTimeoutError } = await import('../object-waiter.js');
    const condition = parseWaitFor(this.forCondition);
    let timeoutMs: number;
    try {
      timeoutMs = parseDuration(this.timeout);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    if (timeoutMs < 0) timeoutMs = 7 * 24 * 3_600_000;
    const { expandTargets } = await import('../object-targets.js');
    const { targets, listed } = await expandTargets(this.targetQuery(this.args, { filenames: this.filenames, allNamespaces: this.allNamespaces, selector: this.selector, all: this.all }));
    if (listed && targets.length === 0) throw new UsageError('no matching resources found');
    const deadline = Date.now() + timeoutMs;
    let failed = 0;
    for (const t of targets) {
      try {
        if (!condition.forDelete && this.forCondition !== 'create') await this.client().get(t.ref, t.namespace, t.name);
        await waitForObject({ client: this.client(), ref: t.ref, namespace: t.namespace, name: t.name, done: condition.met }, { signal: this.context.signal, timeoutMs: Math.max(0, deadline - Date.now()) });
        this.out(`${kindGroup(t.ref)}/${t.name} condition met`);
      } catch (err) {
        if (err instanceof WaitTimeoutError) this.err(`error: timed out waiting for the condition on ${t.ref.plural}/${t.name}`);
        else if (isStatusError(err)) this.err(formatError(err));
        else throw err;
        failed++;
      }
    }
    if (failed) throw new ExitCodeError(1);
    return 0;
  }
}
