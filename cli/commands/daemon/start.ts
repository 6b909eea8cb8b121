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
      pid in \`daemon.pid\`, and returns once every listener is up. Does nothing when a daemon already runs on that home.
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
    const { ensureDaemonRunning, DaemonStartError } = await import('../../daemon/ensure-running.js');
    const { resolve } = await import('node:path');
    const { parseDuration } = await import('../../object-waiter.js');
    const paths = sidekickHome(this.home ? resolve(this.context.cwd, this.home) : undefined, this.context.env);
    const args: string[] = [];
    if (this.listen) args.push('--listen', this.listen);
    if (this.tlsCert) args.push('--tls-cert', resolve(this.context.cwd, this.tlsCert));
    if (this.tlsKey) args.push('--tls-key', resolve(this.context.cwd, this.tlsKey));
    if (this.database) args.push('--database', this.database);
    if (this.allowEnvPassthrough) args.push('--allow-env-passthrough');
    if (this.defaultIsolation) args.push('--default-isolation', this.defaultIsolation);
    let daemon;
    try {
      daemon = await ensureDaemonRunning({
        paths,
        env: this.context.env,
        args,
        timeoutMs: parseDuration(this.timeout),
        timeoutText: this.timeout,
        // A refused option leaves the home as it was: checked before the home, log or pid file exist.
        beforeStart: () => this.checkOptions(this.context.cwd),
      });
    } catch (err) {
      if (err instanceof DaemonStartError) throw new UsageError(err.message);
      throw err;
    }
    if (!daemon.started) {
      this.out(`✓ daemon already running (home: ${paths.root}, socket ${paths.socket}${daemon.pid ? `, pid ${daemon.pid}` : ''})`);
      return 0;
    }
    this.out(`✓ daemon started (home: ${paths.root}, socket ${paths.socket}${daemon.tcp ? ` + ${daemon.tcp}` : ''}, pid ${daemon.pid ?? '?'})`);
    return 0;
  }
}
