/** `sidekick version`: client and server versions. */
import { Command, Option, UsageError } from 'clipanion';
import { ApiCommand } from '../base-command.js';
import { CLI_VERSION } from '../version.js';
import { isStatusError } from '../errors.js';

export class VersionCommand extends ApiCommand {
  static override paths = [['version']];
  static override usage = Command.Usage({
    description: 'Print the client and server version information',
    details: 'Prints this CLI\'s version and, unless `--client`, the version the API server reports at `/version`.',
    examples: [
      ['Both versions', 'sidekick version'],
      ['As JSON', 'sidekick version -o json'],
    ],
  });

  clientOnly = Option.Boolean('--client', false, { description: 'Only the client version (no server needed)' });
  output = Option.String('-o,--output', { description: 'yaml or json' });

  async execute(): Promise<number> {
    if (this.output && this.output !== 'json' && this.output !== 'yaml') throw new UsageError(`--output must be 'yaml' or 'json'`);
    const clientVersion = { gitVersion: `v${CLI_VERSION}`, platform: `${process.platform}/${process.arch}`, nodeVersion: process.version };
    let serverVersion: Record<string, unknown> | undefined;
    let failure: unknown;
    if (!this.clientOnly) {
      try {
        serverVersion = await this.client().version();
      } catch (err) {
        failure = err;
      }
    }
    if (this.output) {
      const { toJson, toYaml } = await import('../printers/output-format.js');
      const doc = { clientVersion, ...(serverVersion ? { serverVersion } : {}) };
      this.context.stdout.write(this.output === 'json' ? toJson(doc) : await toYaml(doc));
    } else {
      this.out(`Client Version: ${clientVersion.gitVersion}`);
      if (serverVersion) this.out(`Server Version: ${String(serverVersion.gitVersion)}`);
    }
    if (failure) {
      if (isStatusError(failure) || failure instanceof Error) throw failure;
    }
    return 0;
  }
}
