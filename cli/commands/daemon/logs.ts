/** `sidekick daemon logs`: print (and follow) the background daemon's log. */
import { Command, Option, UsageError } from 'clipanion';
import { SidekickCommand } from '../../base-command.js';

export class DaemonLogsCommand extends SidekickCommand {
  static override paths = [['daemon', 'logs']];
  static override usage = Command.Usage({
    category: 'Daemon',
    description: 'Print the daemon log',
    details: 'Prints `daemon.log` from the home directory; `-f` keeps printing what is appended until Ctrl-C.',
    examples: [
      ['Print the log', 'sidekick daemon logs'],
      ['Follow it', 'sidekick daemon logs -f'],
    ],
  });

  home = Option.String('--home', { description: 'Sidekick home directory (default: $SIDEKICK_HOME or ~/.sidekick)' });
  follow = Option.Boolean('-f,--follow', false, { description: 'Keep printing appended lines' });

  async execute(): Promise<number> {
    const { sidekickHome } = await import('../../../api/home.js');
    const fs = await import('node:fs/promises');
    const { watch } = await import('node:fs');
    const { resolve } = await import('node:path');
    const paths = sidekickHome(this.home ? resolve(this.context.cwd, this.home) : undefined, this.context.env);
    let offset = 0;
    const printNew = async (): Promise<void> => {
      const handle = await fs.open(paths.logFile, 'r');
      try {
        const { size } = await handle.stat();
        if (size < offset) offset = 0; // truncated or rotated: start over
        if (size > offset) {
          const buf = Buffer.alloc(size - offset);
          await handle.read(buf, 0, buf.length, offset);
          offset = size;
          this.context.stdout.write(buf);
        }
      } finally {
        await handle.close();
      }
    };
    try {
      await printNew();
    } catch {
      throw new UsageError(`no daemon log at ${paths.logFile}`);
    }
    if (!this.follow) return 0;
    const watcher = watch(paths.logFile);
    let chain = Promise.resolve();
    watcher.on('change', () => (chain = chain.then(printNew).catch(() => undefined)));
    await new Promise<void>((done) => {
      if (this.context.signal.aborted) return done();
      this.context.signal.addEventListener('abort', () => done(), { once: true });
    });
    watcher.close();
    await chain;
    return 0;
  }
}
