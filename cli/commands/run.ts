/** `sidekick run PROMPT [--agent A] [--mode M] [--name N] [--session S] [--detach]`: starts a run in this repository and follows it. */
import { Command, Option, UsageError } from 'clipanion';
import { ApiCommand } from '../base-command.js';
import { RUNS, type RunView } from '../journal/read.js';
import { WorkspaceMode } from '../../resources/kinds/common.js';
import type { JournalEvent } from '../../api/journal/event.js';

/** How `sidekick run` says the run ended. */
const EXIT = { Completed: 0, Failed: 1, Other: 2, Detached: 130 } as const;

export class RunCommand extends ApiCommand {
  static override paths = [['run']];
  static override usage = Command.Usage({
    description: 'Start a run in the current repository and follow it',
    details: `
      Creates a Run in the session of the repository you are in: the git toplevel of the working directory must be
      the root of a RepoMount (\`sidekick init\` creates one), in any namespace you can list (only \`-n\`'s when given).
      When several sessions mount the repository, \`--session\` picks one. The agent is \`--agent\`, else the
      session's \`spec.defaults.agent\`, else the only Agent of the namespace. The run is named from the prompt
      (\`fix-the-failing-test-x7k2q\`) unless \`--name\` names it.

      It then follows the run as \`sidekick logs run/NAME -f\` does — the conversation, and the approvals and questions
      it waits on the moment they are raised (answerable in place on a terminal) — and exits when the run ends. Exit codes: 0
      Completed, 1 Failed, 2 Interrupted, Canceled or any other end, 130 you pressed Ctrl-C (the run goes on).

      Ctrl-C only detaches: it prints how to follow the run again (\`sidekick logs run/NAME -f\`) and how to stop it
      (\`sidekick cancel run/NAME\`). \`--detach\` prints the run's name and returns at once.
    `,
    examples: [
      ['Ask the session agent to fix the tests, and watch', 'sidekick run "fix the failing test"'],
      ['Use another agent, in a branch of the checkout itself', 'sidekick run "tidy the README" --agent writer --mode Branch'],
      ['Start it and return (prints the name)', 'sidekick run "upgrade the linter" --detach'],
    ],
  });

  agent = Option.String('--agent', { description: "The Agent (default: the session's spec.defaults.agent, else the namespace's only Agent)" });
  mode = Option.String('--mode', { description: `The workspace mode, overriding the RepoMount's: ${Object.values(WorkspaceMode).join('|')}` });
  name = Option.String('--name', { description: 'The run name (default: from the prompt, with a random suffix)' });
  session = Option.String('--session', { description: 'The session, when several mount this repository' });
  detach = Option.Boolean('-d,--detach', false, { description: 'Create the run, print its name and return' });
  words = Option.Rest({ name: 'PROMPT', required: 1 });

  async execute(): Promise<number> {
    const prompt = this.words.join(' ').trim();
    if (!prompt) throw new UsageError('PROMPT: required; say what the agent should do');
    if (this.mode !== undefined && !(Object.values(WorkspaceMode) as string[]).includes(this.mode)) {
      throw new UsageError(`--mode must be one of ${Object.values(WorkspaceMode).join(', ')}, got "${this.mode}"`);
    }
    const { gitToplevel, mountsOf, namePrefix, pickAgent, pickMount } = await import('../runs/repo-session.js');
    const client = this.client();
    const root = await gitToplevel(this.context.cwd);
    const mount = await pickMount(client, await mountsOf(client, root, this.namespace, this.namespaceChosen), root, this.session);
    const namespace = mount.metadata.namespace!;
    const agent = await pickAgent(client, mount, this.agent);
    const run = await client.create<RunView>(RUNS, namespace, {
      apiVersion: 'sidekicks.dev/v1alpha1',
      kind: 'Run',
      metadata: this.name ? { name: this.name, namespace } : { generateName: namePrefix(prompt), namespace },
      spec: { session: mount.spec.session, agent, repoMount: mount.metadata.name!, prompt, ...(this.mode ? { mode: this.mode } : {}) },
    });
    const name = run.metadata.name!;
    if (this.detach) {
      this.out(name);
      return 0;
    }
    const ns = namespace === 'default' ? '' : ` -n ${namespace}`;
    this.out(`run.sidekicks.dev/${name} created (session ${mount.spec.session}, agent ${agent})`);
    const { followRun } = await import('../journal/follow-run.js');
    const ended = await followRun({ client, namespace, run, stdout: this.context.stdout, stdin: this.context.stdin, env: this.context.env, signal: this.context.signal });
    if (ended) return exitCodeOf(ended);
    if (this.context.signal.aborted) {
      this.err(`detached; run ${name} goes on`);
      this.err(`  follow it again: sidekick logs run/${name}${ns} -f`);
      this.err(`  stop it:         sidekick cancel run/${name}${ns}`);
      return EXIT.Detached;
    }
    // The stream ended without the run's end (the daemon went away): say where it stands.
    this.err(`error: lost the run's events before it ended; follow it again: sidekick logs run/${name}${ns} -f`);
    return EXIT.Other;
  }
}

/** The exit code for the event that ended the run. */
function exitCodeOf(event: JournalEvent): number {
  if (event.type === 'run.Completed') return EXIT.Completed;
  if (event.type === 'run.Failed') return EXIT.Failed;
  return EXIT.Other;
}
