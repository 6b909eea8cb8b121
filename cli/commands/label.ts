/** `sidekick label`: add, change or remove labels. */
import { Command } from 'clipanion';
import { MetadataMapCommand } from '../metadata-map-command.js';

export class LabelCommand extends MetadataMapCommand {
  static override paths = [['label']];
  static override synopsis = '(-f FILENAME | TYPE NAME | TYPE/NAME) KEY_1=VAL_1 ... KEY_N=VAL_N';
  static override usage = Command.Usage({
    description: 'Update the labels on a resource',
    details: `
      \`key=value\` sets a label, \`key-\` removes it. Changing an existing value needs \`--overwrite\`. Select objects by
      name, by \`-l\` selector or with \`--all\`.
    `,
    examples: [
      ['Label a run', 'sidekick label run hello team=auth'],
      ['Change a label', 'sidekick label run hello team=web --overwrite'],
      ['Remove a label from every run', 'sidekick label runs --all team-'],
    ],
  });
  protected readonly field = 'labels';
  protected readonly verbed = 'labeled';
  protected readonly noun = 'label';
}
