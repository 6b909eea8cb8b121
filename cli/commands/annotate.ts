/** `sidekick annotate`: add, change or remove annotations. */
import { Command } from 'clipanion';
import { MetadataMapCommand } from '../metadata-map-command.js';

export class AnnotateCommand extends MetadataMapCommand {
  static override paths = [['annotate']];
  static override synopsis = '(-f FILENAME | TYPE NAME | TYPE/NAME) KEY_1=VAL_1 ... KEY_N=VAL_N';
  static override usage = Command.Usage({
    description: 'Update the annotations on a resource',
    details: `
      \`key=value\` sets an annotation, \`key-\` removes it. Changing an existing value needs \`--overwrite\`.
    `,
    examples: [
      ['Annotate a run', "sidekick annotate run hello note='first try'"],
      ['Remove an annotation', 'sidekick annotate run/hello note-'],
    ],
  });
  protected readonly field = 'annotations';
  protected readonly verbed = 'annotated';
  protected readonly noun = 'annotation';
}
