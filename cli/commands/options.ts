/** `sidekick options`: the connection flags every API command accepts, like `kubectl options`. */
import { Command } from 'clipanion';
import { ApiCommand } from '../base-command.js';
import { SidekickCli, optionTable, type OptionSpec } from '../command-specs.js';

export class OptionsCommand extends ApiCommand {
  static override paths = [['options']];
  static override usage = Command.Usage({
    description: 'Print the list of flags inherited by all commands',
    details: `
      Every command that talks to the API server accepts these flags; \`--help\` of each command lists only its own.
    `,
    examples: [['Print flags inherited by all commands', 'sidekick options']],
  });

  async execute(): Promise<number> {
    this.out('The following options can be passed to any command that talks to the API server:\n');
    for (const line of optionTable(globalOptions())) this.out(line);
    return 0;
  }
}

/** The flags ApiCommand declares (this command declares no others), as help lists them. */
export function globalOptions(): OptionSpec[] {
  const cli = new SidekickCli({ binaryName: 'sidekick' });
  cli.register(OptionsCommand);
  return cli.specs()[0].options;
}
