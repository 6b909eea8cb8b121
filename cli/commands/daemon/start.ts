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
    const info = await import('../../daemon/process-info.js');
    const fs = await import('node:fs/promises');
    const { writeFileAtomic } = await import('../../../api/atomic-file.js');
    const { spawn } = await import('node:child_process');
    const { fileURLToPath } = await import('node:url');
    const { resolve } = await import('node:path');
    const { parseDuration } = await import('../../object-waiter.js');
    const paths = sidekickHome(this.home ? resolve(this.context.cwd, this.home) : undefined, this.context.env);
    const running = await info.readPid(paths);
    if (running && info.isAlive(running) && (await info.socketAnswers(paths))) {
      this.out(`✓ daemon already running (home: ${paths.root}, socket ${paths.socket}, pid ${running})`);
      return 0;
    }
    // A refused option leaves the home as it was: checked before the home, log or pid file exist.
    await this.checkOptions(this.context.cwd);
    await fs.mkdir(paths.root, { recursive: true, mode: 0o700 });
    const main = this.context.env.SIDEKICK_CLI_MAIN ?? fileURLToPath(new URL('../../main.js', import.meta.url));
    const args = [main, 'daemon', 'run', '--home', paths.root];
    if (this.listen) args.push('--listen', this.listen);
    if (this.tlsCert) args.push('--tls-cert', resolve(this.context.cwd, this.tlsCert));
    if (this.tlsKey) args.push('--tls-key', resolve(this.context.cwd, this.tlsKey));
    if (this.database) args.push('--database', this.database);
    if (this.allowEnvPassthrough) args.push('--allow-env-passthrough');
    if (this.defaultIsolation) args.push('--default-isolation', this.defaultIsolation);
    const log = await fs.open(paths.logFile, 'a', 0o600);
    const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', log.fd, log.fd], env: { ...this.context.env, SIDEKICK_HOME: paths.root }, cwd: paths.root });
    await log.close();
    const pid = child.pid;
    if (!pid) throw new UsageError(`could not start the daemon (see ${paths.logFile})`);
    let exited: number | null | undefined;
    child.on('exit', (code) => (exited = code));
    child.unref();
    await writeFileAtomic(paths.pidFile, `${pid}\n`);

    const deadline = Date.now() + parseDuration(this.timeout);
    // Ready when daemon.json names this child (written once every listener is up) and the socket answers.
    while ((await info.readDaemonInfo(paths)).pid !== pid || !(await info.socketAnswers(paths))) {
      if (exited !== undefined) throw new UsageError(`the daemon exited with code ${exited} before answering; see ${paths.logFile}`);
      if (Date.now() > deadline) throw new UsageError(`the daemon did not answer on ${paths.socket} within ${this.timeout}; see ${paths.logFile}`);
      await info.pause(50);
    }
    const tcp = (await info.readDaemonInfo(paths)).tcp;
    this.out(`✓ daemon started (home: ${paths.root}, socket ${paths.socket}${tcp ? ` + ${tcp}` : ''}, pid ${pid})`);
    return 0;
  }
}
