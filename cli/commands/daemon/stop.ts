/** `sidekick daemon stop`: stop the background daemon and wait until it is gone. */
import { Command, Option, UsageError } from 'clipanion';
import { SidekickCommand } from '../../base-command.js';

export class DaemonStopCommand extends SidekickCommand {
  static override paths = [['daemon', 'stop']];
  static override usage = Command.Usage({
    category: 'Daemon',
    description: 'Stop the background daemon',
    details: 'Sends SIGTERM to the pid in `daemon.pid` and waits until the process has exited (SIGKILL after `--timeout`).',
    examples: [['Stop the daemon', 'sidekick daemon stop']],
  });

  home = Option.String('--home', { description: 'Sidekick home directory (default: $SIDEKICK_HOME or ~/.sidekick)' });
  timeout = Option.String('--timeout', '30s', { description: 'How long to wait before SIGKILL' });

  async execute(): Promise<number> {
    const { sidekickHome } = await import('../../../api/home.js');
    const { stopBackground } = await import('../../daemon/lifecycle.js');
    const { resolve } = await import('node:path');
    const { parseDuration } = await import('../../object-waiter.js');
    const paths = sidekickHome(this.home ? resolve(this.context.cwd, this.home) : undefined, this.context.env);
    const pid = await stopBackground(paths, parseDuration(this.timeout), () => this.err(`warning: the daemon did not stop within ${this.timeout}; killed`));
    if (pid === undefined) throw new UsageError(`the daemon is not running (home: ${paths.root})`);
    this.out(`✓ daemon stopped (pid ${pid})`);
    return 0;
  }
}
