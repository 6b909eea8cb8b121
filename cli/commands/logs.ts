/** `sidekick logs run/NAME|channel/NAME|workflow/NAME [--phase P] [-f]`: conversations from the session journal. */
import { Command, Option, UsageError } from 'clipanion';
import { ApiCommand } from '../base-command.js';
import { RUNS, followTimeline, followUntil, parseTarget, readTimeline, type RunView } from '../journal/read.js';
import { ConversationRenderer, paletteFor } from '../journal/render.js';
import type { JournalEvent } from '../../api/journal/event.js';
import { PrintedError } from '../errors.js';
import type { Workflow } from '../../resources/kinds/workflow.js';
import { WORKFLOWS } from '../workflows/refs.js';
import { endsFollow, hasPhase, workflowEventFilter, workflowEventLine } from '../workflows/logs.js';
import { CHANNELS, channelTarget, followChannel, messageLines, readChannel, turnOf, type ChannelView } from '../journal/channel.js';

export class LogsCommand extends ApiCommand {
  static override paths = [['logs']];
  static override usage = Command.Usage({
    description: "Print a run's, a channel's or a workflow's conversation",
    details: `
      Prints what the run's agent said, thought and did, read from its session's journal: \`[assistant]\` messages,
      \`[thinking]\` (dimmed on a terminal), \`[tool]\` calls and their results (exit code, duration and the first lines of
      output), \`[steer]\` messages and the final \`[run]\` line (Completed with the diff and branch, or Failed with the
      reason).

      The history is that of the run object named: an earlier run of the same name, deleted and created again, is not
      part of it.

      With \`-f\` the output follows the run live and ends after the run reaches a terminal phase (Completed, Failed,
      Interrupted or Canceled), or on Ctrl-C. The moment the run waits on an approval or asks a question, a line says
      so with the exact command that answers it (\`waiting for approval: sidekick approve NAME   (deny: sidekick deny
      NAME)\`, \`waiting for your answer: sidekick respond run/NAME -m "..."\`), and a terminal rings its bell. When
      stdin and stdout are both terminals it also asks in place: \`y\` approves, \`n\` denies (with an optional reason),
      \`a\` approves and remembers the rule for the session; a question's answer is one line. Ctrl-C stops following,
      never the run.

      For \`channel/NAME\` it prints the channel's messages, one \`AUTHOR: text\` line each (later lines of a message
      indented): people's posts and the agents' turns, and the channel's note when a turn ended without a reply. With
      \`-f\` it follows the conversation live and ends when the channel is muted (its \`spec.maxTurns\` agent turns are
      taken), or on Ctrl-C.

      For \`workflow/NAME\` it prints what the workflow's phases did — their runs' conversations, their commands and
      checks as tool calls, their channels' turns — each line prefixed with the run or step it came from, and the
      workflow's own \`[workflow]\` lines (a phase started, its gate resolved, it completed or was retried). \`--phase\`
      keeps one phase. With \`-f\` it follows live until the phase (or the workflow) has settled.
    `,
    examples: [
      ['Print the conversation of run hello', 'sidekick logs run/hello'],
      ['Follow a running run until it finishes', 'sidekick logs run/fix-login -f'],
      ['Follow the conversation of channel review', 'sidekick logs channel/review -f'],
      ['Follow the implement phase of workflow review-x7k2', 'sidekick logs workflow/review-x7k2 --phase implement -f'],
    ],
  });

  follow = Option.Boolean('-f,--follow', false, { description: 'Follow the run until it reaches a terminal phase (a channel until it is muted)' });
  phase = Option.String('--phase', { description: 'With workflow/NAME: only this phase' });
  target = Option.String({ name: 'run/NAME|channel/NAME|workflow/NAME' });

  async execute(): Promise<number> {
    const channel = channelTarget(this.target);
    if (channel) return this.channelLogs(channel);
    const workflow = this.target.includes('/') ? parseTarget(this.target, ['workflow', 'workflows', 'wf', 'workflow.sidekicks.dev', 'workflows.sidekicks.dev']) : undefined;
    if (workflow) return this.workflowLogs(workflow);
    if (this.phase !== undefined) throw new UsageError('--phase goes with workflow/NAME');
    const name = parseTarget(this.target, ['run', 'runs', 'run.sidekicks.dev', 'runs.sidekicks.dev']);
    if (!name) throw new UsageError(`expected run/NAME, channel/NAME or NAME, got "${this.target}"`);
    const client = this.client();
    const run = await client.get<RunView>(RUNS, this.namespace, name);
    if (this.follow) {
      const { followRun } = await import('../journal/follow-run.js');
      await followRun({ client, namespace: this.namespace, run, stdout: this.context.stdout, stdin: this.context.stdin, env: this.context.env, signal: this.context.signal });
      return 0;
    }
    const renderer = new ConversationRenderer(paletteFor(this.context.stdout as { isTTY?: boolean }, this.context.env));
    // Only this run object's history: an earlier run of the same name, deleted, had another uid.
    for await (const event of readTimeline(client, this.namespace, run.spec.session, { run: name, runUid: run.metadata.uid })) {
      for (const line of renderer.render(event, run)) this.out(line);
    }
    return 0;
  }

  /** A workflow's (or one phase's) runs, steps and phase events, each line prefixed with its child. */
  private async workflowLogs(name: string): Promise<number> {
    const client = this.client();
    const wf = await client.get<Workflow>(WORKFLOWS, this.namespace, name);
    if (this.phase !== undefined && !hasPhase(wf, this.phase)) throw new PrintedError(`error: workflow.sidekicks.dev "${name}" has no phase "${this.phase}"`);
    const belongs = workflowEventFilter(wf, this.phase);
    const renderer = new ConversationRenderer(paletteFor(this.context.stdout as { isTTY?: boolean }, this.context.env));
    const print = (event: JournalEvent): void => {
      const own = workflowEventLine(event);
      if (own !== undefined) return this.out(own);
      for (const line of renderer.render(event)) this.out(`${event.run} | ${line}`);
    };
    if (!this.follow) {
      for await (const event of readTimeline(client, this.namespace, wf.spec.session)) if (belongs(event)) print(event);
      return 0;
    }
    await followUntil(this.context.signal, (signal) => followTimeline(client, this.namespace, wf.spec.session, {}, signal), (event) => {
      if (!belongs(event)) return false;
      print(event);
      return endsFollow(event, name, this.phase);
    });
    return 0;
  }

  /** A channel's messages as `AUTHOR: text` lines; with -f live, until the channel is muted. */
  private async channelLogs(name: string): Promise<number> {
    const client = this.client();
    const channel = await client.get<ChannelView>(CHANNELS, this.namespace, name);
    const print = (event: JournalEvent): void => {
      for (const line of messageLines(event)) this.out(line);
    };
    if (!this.follow) {
      for await (const event of readChannel(client, this.namespace, name)) print(event);
      return 0;
    }
    await followUntil(this.context.signal, (signal) => followChannel(client, this.namespace, name, signal), async (event) => {
      print(event);
      const turn = turnOf(event);
      if (turn === undefined || channel.spec.maxTurns === undefined || turn < channel.spec.maxTurns) return false;
      // The last turn as the channel was read: it is muted unless maxTurns was raised meanwhile.
      const now = await client.get<ChannelView>(CHANNELS, this.namespace, name).catch(() => channel);
      if (now.spec.maxTurns === undefined || turn >= now.spec.maxTurns) return true;
      channel.spec.maxTurns = now.spec.maxTurns;
      return false;
    });
    return 0;
  }
}
