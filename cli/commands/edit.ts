/** `sidekick edit`: edit a resource in $KUBE_EDITOR / $EDITOR and save it back. */
import { Command, Option, UsageError } from 'clipanion';
import { ApiCommand } from '../base-command.js';
import { formatError, isStatusError } from '../errors.js';
import { kindGroup } from '../resource-resolver.js';

const HEADER = `# Please edit the object below. Lines beginning with a '#' will be ignored,
# and an empty file will abort the edit. If an error occurs while saving this file will be
# reopened with the relevant failures.
#
`;

export class EditCommand extends ApiCommand {
  static override paths = [['edit']];
  static override synopsis = '(TYPE NAME | TYPE/NAME)';
  static override usage = Command.Usage({
    description: 'Edit a resource on the server',
    details: `
      Opens the object as YAML in \`$KUBE_EDITOR\`, \`$EDITOR\` or \`vi\`. On save, the changes are sent as a merge patch
      guarded by the object's resourceVersion. When the server refuses them, the file is reopened with the error as a
      comment at the top; saving it unchanged (or empty) cancels the edit.
    `,
    examples: [
      ['Edit a run', 'sidekick edit run hello'],
      ['Edit with another editor', 'KUBE_EDITOR="code --wait" sidekick edit run/hello'],
    ],
  });

  output = Option.String('-o,--output', 'yaml', { description: 'yaml or json: the format to edit in' });
  args = Option.Rest();

  async execute(): Promise<number> {
    const { expandTargets } = await import('../object-targets.js');
    const fs = await import('node:fs/promises');
    const path = await import('node:path');
    const os = await import('node:os');
    const { spawnSync } = await import('node:child_process');
    const { toYaml, toJson } = await import('../printers/output-format.js');
    const yaml = await import('yaml');
    const threeWay = await import('../apply/three-way.js');
    const { targets } = await expandTargets({ client: this.client(), resolver: this.resolver(), args: this.args, cwd: this.context.cwd, namespace: this.namespace });
    const editor = this.context.env.KUBE_EDITOR || this.context.env.EDITOR || 'vi';
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sidekick-edit-'));
    try {
      for (const t of targets) {
        const original = await this.client().get(t.ref, t.namespace, t.name);
        const serialize = async (v: unknown): Promise<string> => (this.output === 'json' ? toJson(v) : toYaml(v));
        const file = path.join(dir, `${t.ref.plural}-${t.name}.${this.output === 'json' ? 'json' : 'yaml'}`);
        let body = await serialize(original);
        let header = HEADER;
        for (;;) {
          await fs.writeFile(file, header + body);
          const run = spawnSync(this.context.env.SHELL ?? '/bin/sh', ['-c', `${editor} "$1"`, 'sidekick-edit', file], { stdio: 'inherit', env: this.context.env });
          if (run.status !== 0) throw new UsageError(`there was a problem with the editor "${editor}"`);
          const edited = (await fs.readFile(file, 'utf8'))
            .split('\n')
            .filter((l) => !l.startsWith('#'))
            .join('\n');
          if (edited.trim() === '') {
            this.err('Edit cancelled, no changes made.');
            break;
          }
          if (edited.trim() === body.trim()) {
            if (header === HEADER) this.err('Edit cancelled, no changes made.');
            else throw new UsageError(`Edit cancelled, no valid changes were saved.`);
            break;
          }
          let parsed: Record<string, unknown>;
          try {
            parsed = yaml.parse(edited) as Record<string, unknown>;
          } catch (err) {
            header = `${HEADER}# The edited file had a syntax error: ${(err as Error).message.split('\n')[0]}\n#\n`;
            body = edited;
            continue;
          }
          const patch = threeWay.threeWayMergePatch(original, parsed, original);
          delete (patch.metadata as Record<string, unknown> | undefined)?.managedFields;
          const meta = (patch.metadata ?? {}) as Record<string, unknown>;
          patch.metadata = { ...meta, resourceVersion: original.metadata.resourceVersion };
          try {
            await this.client().patch(t.ref, t.namespace, t.name, 'merge', patch);
            this.out(`${kindGroup(t.ref)}/${t.name} edited`);
            break;
          } catch (err) {
            if (!isStatusError(err)) throw err;
            const lines = formatError(err).split('\n').map((l) => `# ${l}`);
            header = `${HEADER}# ${t.ref.plural}.${t.ref.group} "${t.name}" was not valid:\n${lines.join('\n')}\n#\n`;
            body = edited;
          }
        }
      }
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
    return 0;
  }
}
