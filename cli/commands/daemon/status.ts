/** `sidekick daemon status`: whether the daemon runs, and where it listens. Exit 3 when it does not. */
import { Command, Option } from 'clipanion';
import { SidekickCommand } from '../../base-command.js';

export class DaemonStatusCommand extends SidekickCommand {
  static override paths = [['daemon', 'status']];
  static override usage = Command.Usage({
    category: 'Daemon',
    description: 'Show whether the daemon is running',
    details: 'Prints the pid, home, socket and TCP address of the running daemon; exits 3 (like `systemctl status`) when none runs.',
    examples: [['Check the daemon', 'sidekick daemon status']],
  });

  home = Option.String('--home', { description: 'Sidekick home directory (default: $SIDEKICK_HOME or ~/.sidekick)' });

  async execute(): Promise<number> {
    const { sidekickHome } = await import('../../../api/home.js');
    const info = await import('../../daemon/process-info.js');
    const { resolve } = await import('node:path');
    const paths = sidekickHome(this.home ? resolve(this.context.cwd, this.home) : undefined, this.context.env);
    const pid = await info.readPid(paths);
    const answers = await info.socketAnswers(paths);
    if (!answers) {
      this.out(`daemon not running (home: ${paths.root})`);
      return 3;
    }
    const details = await info.readDaemonInfo(paths);
    this.out(`daemon running (pid ${pid ?? details.pid ?? 'unknown'})`);
    this.out(`  home:    ${paths.root}`);
    this.out(`  socket:  ${paths.socket}`);
    if (details.tcp) this.out(`  tcp:     ${details.tcp}`);
    if (details.ca) this.out(`  ca:      ${details.ca}`);
    if (details.startedAt) this.out(`  started: ${details.startedAt}`);
    return 0;
  }
}
