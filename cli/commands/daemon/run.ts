/** `sidekick daemon run`: the daemon in the foreground until SIGTERM / SIGINT. */
import { Command } from 'clipanion';
import { DaemonOptionsCommand } from '../../daemon/options-command.js';

export class DaemonRunCommand extends DaemonOptionsCommand {
  static override paths = [['daemon', 'run']];
  static override usage = Command.Usage({
    category: 'Daemon',
    description: 'Run the daemon in the foreground',
    details: `
      Starts the API server and controllers on the home directory's Unix socket (and, with \`--listen\`, on TCP with a
      bearer token; a non-loopback address needs \`--tls-cert\` and \`--tls-key\`), logs to stderr, and stops cleanly on
      SIGTERM or Ctrl-C. \`sidekick daemon start\` runs this in the background.
    `,
    examples: [
      ['Run with the default home', 'sidekick daemon run'],
      ['Also listen on loopback TCP for kubectl', 'sidekick daemon run --listen 127.0.0.1:7443'],
    ],
  });


  async execute(): Promise<number> {
    const { startDaemon } = await import('../../daemon/compose.js');
    const { sidekickHome } = await import('../../../api/home.js');
    const { writeFileAtomic } = await import('../../../api/atomic-file.js');
    const { readFile, unlink } = await import('node:fs/promises');
    const { resolve } = await import('node:path');
    const home = sidekickHome(this.home ? resolve(this.context.cwd, this.home) : undefined, this.context.env).root;
    const log = (line: string): void => void this.context.stderr.write(`${new Date().toISOString()} ${line}\n`);
    await this.checkOptions(this.context.cwd);
    // Everything this process creates under the home (and elsewhere) is its user's alone; the
    // database files and credentials also get explicit 0600 modes, so in-process daemons match.
    // Agents write the user's files, though: they get the umask the user had (the driver host restores it).
    const agentUmask = process.umask(0o077);
    const daemon = await startDaemon({
      home,
      listen: this.listen,
      // Absolute, as daemon.json records them for `daemon restart`.
      tlsCert: this.tlsCert && resolve(this.context.cwd, this.tlsCert),
      tlsKey: this.tlsKey && resolve(this.context.cwd, this.tlsKey),
      ...(this.database ? { database: { kind: 'postgres' as const, url: this.database } } : {}),
      allowEnvPassthrough: this.allowEnvPassthrough,
      agentUmask,
      ...(this.defaultIsolation ? { defaultIsolation: this.defaultIsolation } : {}),
      log,
    });
    // A long-lived process: give a burst's garbage back once it goes idle (see idle-gc.ts).
    const { startIdleGc } = await import('../../../controllers/idle-gc.js');
    const stopIdleGc = startIdleGc();
    // Atomically: `daemon start` has usually written the same pid already, and a reader must never
    // catch the file truncated in between.
    await writeFileAtomic(daemon.paths.pidFile, `${process.pid}\n`);
    log(`daemon running (home: ${daemon.paths.root}, socket ${daemon.socketPath}${daemon.tcp ? `, ${daemon.tcp.url}` : ''}, pid ${process.pid})`);
    await new Promise<void>((resolve) => {
      if (this.context.signal.aborted) return resolve();
      this.context.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    log('daemon stopping');
    stopIdleGc();
    await daemon.stop();
    // Only remove the pid file if it is still ours: a newer daemon may have replaced it.
    const pid = (await readFile(daemon.paths.pidFile, 'utf8').catch(() => '')).trim();
    if (pid === String(process.pid)) await unlink(daemon.paths.pidFile).catch(() => undefined);
    log('daemon stopped');
    return 0;
  }
}
