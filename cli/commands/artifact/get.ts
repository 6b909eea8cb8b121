/** `sidekick artifact get NAME [-o FILE]`: an artifact's stored content. */
import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { Command, Option, UsageError } from 'clipanion';
import { ApiCommand } from '../../base-command.js';
import { artifactContent, parseTarget } from '../../journal/read.js';

export class ArtifactGetCommand extends ApiCommand {
  static override paths = [['artifact', 'get']];
  static override usage = Command.Usage({
    description: "Print or save an artifact's content",
    details: `
      Downloads the artifact's bytes (checked against its digest by the server) and writes them to stdout, or to FILE
      with \`-o\` (written to a temporary file beside it, then renamed, so FILE is never half-written).
    `,
    examples: [
      ['Print the diff of run hello', 'sidekick artifact get hello-diff'],
      ['Save it to a file', 'sidekick artifact get hello-diff -o hello.patch'],
    ],
  });

  outputFile = Option.String('-o,--output', { description: 'Write the content to this file instead of stdout' });
  target = Option.String({ name: 'NAME' });

  async execute(): Promise<number> {
    const name = parseTarget(this.target, ['artifact', 'artifacts', 'artifact.sidekicks.dev', 'artifacts.sidekicks.dev']);
    if (!name) throw new UsageError(`expected NAME or artifact/NAME, got "${this.target}"`);
    const body = await artifactContent(this.client(), this.namespace, name, this.context.signal);
    if (this.outputFile === undefined || this.outputFile === '-') {
      await new Promise<void>((done, fail) => this.context.stdout.write(body, (err) => (err ? fail(err) : done())));
      return 0;
    }
    const file = resolve(this.context.cwd, this.outputFile);
    const temp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      await writeFile(temp, body);
      await rename(temp, file);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
    return 0;
  }
}
