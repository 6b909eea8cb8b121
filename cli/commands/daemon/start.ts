/** `sidekick daemon start`: the daemon as a background process, logging to the home's daemon.log. */
import { Command, Option, UsageError } from 'clipanion';
import { DaemonOptionsCommand } from '../../daemon/options-command.js';

export class DaemonStartCommand extends DaemonOptionsCommand {
  static override paths = [['daemon', 'start']];
  static override usage = Command.Usage({
    category: 'Daemon',
    description: 'Start the daemon in the background',
    details: `
      Spawns \`sidekick daemon run\` detached, with its output appended to \`daemon.log\` in the home directory and its
      pid in \`daemon.pid\`, and returns once every listener is up. Does nothing when a daemon already runs on that home
      with the flags given; refuses (exit 1) when it runs with other ones, and names the \`sidekick daemon restart\`
      that would apply them.
    `,
    examples: [
      ['Start the embedded daemon', 'sidekick daemon start'],
      ['Start it for kubectl too, on loopback TCP', 'sidekick daemon start --listen 127.0.0.1:7443'],
      ['Start a throwaway daemon', 'sidekick daemon start --home /tmp/sk-demo'],
    ],
  });

  timeout = Option.String('--timeout', '30s', { description: 'How long to wait for the daemon to answer' });

  async execute(): Promise<number> {
    const { sidekickHome } = await import('../../../api/home.js');
    const lifecycle = await import('../../daemon/lifecycle.js');
    const { flagDifferences, restartCommand } = await import('../../daemon/flags.js');
    const { resolve } = await import('node:path');
    const { parseDuration } = await import('../../object-waiter.js');
    const paths = sidekickHome(this.home ? resolve(this.context.cwd, this.home) : undefined, this.context.env);
    const asked = this.askedFlags(this.context.cwd);
    let daemon: Awaited<ReturnType<typeof lifecycle.ensureDaemonRunning>>;
    try {
      daemon = await lifecycle.ensureDaemonRunning(paths, asked, {
        env: this.context.env,
        timeoutMs: parseDuration(this.timeout),
        timeoutText: this.timeout,
        // A refused option leaves the home as it was: checked before the home, log or pid file exist.
        beforeStart: () => this.checkOptions(this.context.cwd),
      });
    } catch (err) {
      throw err instanceof lifecycle.DaemonLifecycleError ? new UsageError(err.message) : err;
    }
    const { running } = daemon;
    if (running) {
      const differences = flagDifferences(asked, running.info.flags ?? {});
      if (differences.length > 0) {
        throw new UsageError(`the daemon is already running (${running.pid ? `pid ${running.pid}` : 'in the foreground'}) ${differences.join(', ')}; run "${restartCommand(asked, this.home)}"`);
      }
      this.out(`✓ daemon already running (home: ${paths.root}, socket ${paths.socket}${running.pid ? `, pid ${running.pid}` : ''})`);
      return 0;
    }
    this.out(`✓ daemon started (home: ${paths.root}, socket ${paths.socket}${daemon.tcp ? ` + ${daemon.tcp}` : ''}, pid ${daemon.pid})`);
    return 0;
  }
}
