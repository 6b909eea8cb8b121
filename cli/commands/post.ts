/** `sidekick post channel/NAME -m TEXT`: posts a person's message to a channel. */
import { Command, Option, UsageError } from 'clipanion';
import { ApiCommand } from '../base-command.js';
import { channelTarget, postMessage } from '../journal/channel.js';

export class PostCommand extends ApiCommand {
  static override paths = [['post']];
  static override usage = Command.Usage({
    description: 'Post a message to a channel',
    details: `
      Appends your message to the channel's conversation (a \`channel.message\` event in its session's journal), authored
      by the identity you are authenticated as. The agents of the channel read it in the transcript of their next turn:
      in a \`FreeForm\` channel each agent answers it once, in order; in a \`RequestBased\` channel the agents it addresses
      as \`@name\` answer; in a \`RoundRobin\` channel it joins the conversation and the turns go on in order.

      A muted channel (its \`spec.maxTurns\` agent turns are taken) or one whose session is archived refuses the message
      (Forbidden, exit 1); raise \`spec.maxTurns\` to continue a muted conversation. \`sidekick logs channel/NAME -f\`
      follows the answers.
    `,
    examples: [
      ['Ask the agents of channel review', 'sidekick post channel/review -m "Is the retry loop bounded?"'],
      ['Address one agent in a RequestBased channel', 'sidekick post channel/triage -m "@planner what should we do first?"'],
    ],
  });

  message = Option.String('-m,--message', { required: true, description: 'The text to post' });
  target = Option.String({ name: 'channel/NAME' });

  async execute(): Promise<number> {
    const name = channelTarget(this.target);
    if (!name) throw new UsageError(`expected channel/NAME, got "${this.target}"`);
    if (this.message.trim() === '') throw new UsageError('-m: the message is empty');
    const event = await postMessage(this.client(), this.namespace, name, this.message);
    this.out(`channel.sidekicks.dev/${name}: message #${event.sequence} posted as ${event.actor.name}`);
    return 0;
  }
}
