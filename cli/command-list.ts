/**
 * The command table: each verb maps to a loader of its command classes. runCli loads only the
 * classes of the verb it was given (all of them for help or an unknown verb), because importing
 * every command and compiling clipanion's parser for all of their options costs more start-up time
 * than the request itself.
 */
import type { CommandClass } from 'clipanion';
import type { CliContext } from './context.js';
import { verbs, type Verb } from './verbs.js';

type Loader = () => Promise<CommandClass<CliContext>[]>;

/** Each verb's loader (the type requires one for every verb in ./verbs.ts, and no other). */
export const commandLoaders: Record<Verb, Loader> = {
  init: async () => [(await import('./commands/init.js')).InitCommand],
  get: async () => [(await import('./commands/get.js')).GetCommand],
  describe: async () => [(await import('./commands/describe.js')).DescribeCommand],
  apply: async () => [(await import('./commands/apply.js')).ApplyCommand],
  merge: async () => [(await import('./commands/merge.js')).MergeCommand],
  delete: async () => [(await import('./commands/delete.js')).DeleteCommand],
  diff: async () => [(await import('./commands/diff.js')).DiffCommand],
  edit: async () => [(await import('./commands/edit.js')).EditCommand],
  patch: async () => [(await import('./commands/patch.js')).PatchCommand],
  label: async () => [(await import('./commands/label.js')).LabelCommand],
  annotate: async () => [(await import('./commands/annotate.js')).AnnotateCommand],
  wait: async () => [(await import('./commands/wait.js')).WaitCommand],
  explain: async () => [(await import('./commands/explain.js')).ExplainCommand],
  'api-resources': async () => [(await import('./commands/api-resources.js')).ApiResourcesCommand],
  events: async () => [(await import('./commands/events.js')).EventsCommand],
  run: async () => [(await import('./commands/run.js')).RunCommand],
  logs: async () => [(await import('./commands/logs.js')).LogsCommand],
  post: async () => [(await import('./commands/post.js')).PostCommand],
  timeline: async () => [(await import('./commands/timeline.js')).TimelineCommand, (await import('./commands/timeline/verify.js')).TimelineVerifyCommand],
  replay: async () => [(await import('./commands/replay.js')).ReplayCommand],
  artifact: async () => [(await import('./commands/artifact/get.js')).ArtifactGetCommand],
  approve: async () => [(await import('./commands/approve.js')).ApproveCommand],
  deny: async () => [(await import('./commands/deny.js')).DenyCommand],
  respond: async () => [(await import('./commands/respond.js')).RespondCommand],
  steer: async () => [(await import('./commands/steer.js')).SteerCommand],
  interrupt: async () => [(await import('./commands/interrupt.js')).InterruptCommand],
  cancel: async () => [(await import('./commands/cancel.js')).CancelCommand],
  pause: async () => [(await import('./commands/pause.js')).PauseCommand],
  resume: async () => [(await import('./commands/resume.js')).ResumeCommand],
  submit: async () => [(await import('./commands/submit.js')).SubmitCommand],
  workflow: async () => [
    (await import('./commands/workflow/retry.js')).WorkflowRetryCommand,
    (await import('./commands/workflow/stop.js')).WorkflowStopCommand,
    (await import('./commands/workflow/resume.js')).WorkflowResumeCommand,
  ],
  auth: async () => [(await import('./commands/auth/can-i.js')).AuthCanICommand],
  token: async () => {
    const create = await import('./commands/token/create.js');
    const list = await import('./commands/token/list.js');
    const revoke = await import('./commands/token/revoke.js');
    return [create.TokenCreateCommand, list.TokenListCommand, revoke.TokenRevokeCommand];
  },
  serve: async () => [(await import('./commands/serve.js')).ServeCommand],
  version: async () => [(await import('./commands/version.js')).VersionCommand],
  completion: async () => [(await import('./commands/completion.js')).CompletionCommand],
  config: async () => [
    (await import('./commands/config/get-contexts.js')).ConfigGetContextsCommand,
    (await import('./commands/config/current-context.js')).ConfigCurrentContextCommand,
    (await import('./commands/config/use-context.js')).ConfigUseContextCommand,
    (await import('./commands/config/set-context.js')).ConfigSetContextCommand,
    (await import('./commands/config/delete-context.js')).ConfigDeleteContextCommand,
    (await import('./commands/config/view.js')).ConfigViewCommand,
  ],
  daemon: async () => {
    const run = await import('./commands/daemon/run.js');
    const start = await import('./commands/daemon/start.js');
    const stop = await import('./commands/daemon/stop.js');
    const restart = await import('./commands/daemon/restart.js');
    const status = await import('./commands/daemon/status.js');
    const logs = await import('./commands/daemon/logs.js');
    return [run.DaemonRunCommand, start.DaemonStartCommand, stop.DaemonStopCommand, restart.DaemonRestartCommand, status.DaemonStatusCommand, logs.DaemonLogsCommand];
  },
  controlplane: async () => [
    (await import('./commands/controlplane/run.js')).ControlPlaneRunCommand,
    (await import('./commands/controlplane/migrate.js')).ControlPlaneMigrateCommand,
    (await import('./commands/controlplane/token-create.js')).ControlplaneTokenCreateCommand,
  ],
  options: async () => [(await import('./commands/options.js')).OptionsCommand],
};

/** The command classes for `verb`, or every command when the verb is unknown or absent. */
export async function loadCommands(verb?: string): Promise<CommandClass<CliContext>[]> {
  const loader = verb !== undefined && Object.hasOwn(commandLoaders, verb) ? commandLoaders[verb as Verb] : undefined;
  if (loader) return loader();
  // One at a time: loading is rare here (help, unknown verbs) and concurrent dynamic imports that
  // share dependencies trip jest's ESM loader, which runs this code in tests.
  const all: CommandClass<CliContext>[] = [];
  for (const verb of verbs) all.push(...(await commandLoaders[verb]()));
  return all;
}
