/** `sidekick daemon restart`: stop the background daemon and start it again, with new flags or the ones it ran with. */
import { Command, Option, UsageError } from 'clipanion';
import { DaemonOptionsCommand } from '../../daemon/options-command.js';

export class DaemonRestartCommand extends DaemonOptionsCommand {
  static override paths = [['daemon', 'restart']];
  static override usage = Command.Usage({
    category: 'Daemon',
    description: 'Restart the background daemon',
    details: `
      Stops the running daemon like \`sidekick daemon stop\` (SIGTERM, waiting until it has exited) and starts it like
      \`sidekick daemon start\`: with the flags given, or, when none are given, with the flags it ran with (recorded in
      \`daemon.json\`). Runs that were running continue once it is back: their drivers stop with the old daemon, and the
      new one resumes them from their checkpoints. Starts the daemon when none runs. Flags it would refuse are refused
      before anything is stopped.
    `,
    examples: [
      ['Restart with the same flags', 'sidekick daemon restart'],
      ['Restart listening on loopback TCP for kubectl', 'sidekick daemon restart --listen 127.0.0.1:7443'],
    ],
  });

  timeout = Option.String('--timeout', '30s', { description: 'How long to wait for the old daemon to stop (then SIGKILL) and the new one to answer' });

  async execute(): Promise<number> {
    const { sidekickHome } = await import('../../../api/home.js');
    const lifecycle = await import('../../daemon/lifecycle.js');
    const { resolve } = await import('node:path');
    const { parseDuration } = await import('../../object-waiter.js');
    const paths = sidekickHome(this.home ? resolve(this.context.cwd, this.home) : undefined, this.context.env);
    const asked = this.askedFlags(this.context.cwd);
    const timeoutMs = parseDuration(this.timeout);
    await this.checkOptions(this.context.cwd);
    const running = await lifecycle.runningDaemon(paths);
    // A daemon with no pid was not started by `daemon start` (a foreground `daemon run`): it stops where it runs.
    if (running && !running.pid) throw new UsageError(`the daemon on ${paths.root} runs in the foreground (no daemon.pid); stop it there (Ctrl-C), then run "sidekick daemon start"`);
    const flags = Object.keys(asked).length > 0 ? asked : (running?.info.flags ?? {});
    try {
      const stopped = await lifecycle.stopBackground(paths, timeoutMs, () => this.err(`warning: the daemon did not stop within ${this.timeout}; killed`));
      if (stopped !== undefined) this.out(`✓ daemon stopped (pid ${stopped})`);
      const { pid, tcp } = await lifecycle.startBackground(paths, flags, { env: this.context.env, timeoutMs, timeoutText: this.timeout });
      this.out(`✓ daemon started (home: ${paths.root}, socket ${paths.socket}${tcp ? ` + ${tcp}` : ''}, pid ${pid})`);
    } catch (err) {
      throw err instanceof lifecycle.DaemonLifecycleError ? new UsageError(err.message) : err;
    }
    return 0;
  }
}
