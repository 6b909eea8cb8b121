/** `sidekick serve`: attach this machine to a control plane as a runtime node. */
import { Command, Option } from 'clipanion';
import { SidekickCommand } from '../base-command.js';

export class ServeCommand extends SidekickCommand {
  static override paths = [['serve']];
  static override usage = Command.Usage({
    category: 'Control plane',
    description: 'Run this machine as a runtime node of a control plane',
    details: `
      Registers this machine as a RuntimeNode of the control plane at \`--url\` (first start: with the one-time
      registration token an Owner made with \`sidekick token create --node NAME\`), renews its Lease, and executes the
      runs scheduled onto it with the same run controller the daemon uses, in worktrees under \`--workspace\`. Status and
      journal events go back over NATS JetStream, buffered in the node's local store while NATS or the control plane is
      away. Logs to stderr; SIGINT/SIGTERM stop it cleanly.

      Registration keeps the node's private key and the control plane's pinned identity in \`~/.sidekick/credentials.json\`
      (mode 0600); later starts need no token. A control plane whose identity differs from the pinned one is refused:
      \`--repin\` trusts a control plane that was rebuilt on purpose. Plain http to another machine is refused unless
      \`--allow-insecure\`.

      A flag beats its variable: SIDEKICK_URL, RUNNER_TOKEN, RUNNER_NAME, RUNNER_WORKSPACE, LOG_LEVEL,
      SIDEKICK_ALLOW_INSECURE, SIDEKICK_ALLOW_ENV_PASSTHROUGH. A bad value exits 2 with a line naming it.
    `,
    examples: [
      ['Register and run', 'sidekick serve --url https://sidekick.example.com --token SKN1…'],
      ['Later starts', 'sidekick serve --url https://sidekick.example.com'],
      ['Labels and capacity', 'sidekick serve --url https://cp --label gpu=yes --label zone=lab --max-runs 2'],
      ['Trust a rebuilt control plane', 'sidekick serve --url https://cp --repin'],
    ],
  });

  url = Option.String('--url', { description: 'The control plane (default http://localhost:8000; $SIDEKICK_URL)' });
  token = Option.String('--token', { description: 'One-time registration token, needed until the node is registered ($RUNNER_TOKEN)' });
  name = Option.String('--name', { description: 'The node name (default: the host name; $RUNNER_NAME)' });
  workspace = Option.String('--workspace', { description: 'Where runs\' worktrees go (default ~/.sidekick/<name>/workspace; $RUNNER_WORKSPACE)' });
  logLevel = Option.String('--log-level', { description: 'DEBUG, INFO, WARNING or ERROR (default INFO; $LOG_LEVEL)' });
  allowInsecure = Option.Boolean('--allow-insecure', { description: 'Allow plain http to a control plane on another machine ($SIDEKICK_ALLOW_INSECURE)' });
  allowEnvPassthrough = Option.Boolean('--allow-env-passthrough', { description: 'Give server-defined tools the environment the control plane sets ($SIDEKICK_ALLOW_ENV_PASSTHROUGH)' });
  labels = Option.Array('--label', { description: 'A scheduling label key=value (repeatable)' });
  maxRuns = Option.String('--max-runs', { description: 'Runs executing at once (default 5)' });
  repin = Option.Boolean('--repin', { description: 'Trust the control plane\'s current identity even though it differs from the pinned one' });
  certificateAuthority = Option.String('--certificate-authority', { description: 'PEM CA bundle of a control plane with a private CA' });
  nats = Option.String('--nats', { description: 'NATS URL(s) to publish to, overriding what the control plane advertises' });

  async execute(): Promise<number> {
    const { resolveServeOptions, ServeOptionsError } = await import('../serve/options.js');
    let opts;
    try {
      opts = resolveServeOptions(
        {
          url: this.url,
          token: this.token,
          name: this.name,
          workspace: this.workspace,
          logLevel: this.logLevel,
          allowInsecure: this.allowInsecure,
          allowEnvPassthrough: this.allowEnvPassthrough,
          labels: this.labels,
          maxRuns: this.maxRuns,
          repin: this.repin,
          certificateAuthority: this.certificateAuthority,
          nats: this.nats,
        },
        this.context.env,
        { cwd: this.context.cwd, write: (text) => void this.context.stderr.write(text) },
      );
    } catch (err) {
      if (!(err instanceof ServeOptionsError)) throw err;
      this.err(`error: ${err.message}`);
      return 2;
    }
    const { startNode } = await import('../serve/compose.js');
    let node: { stop(): Promise<void>; fatal: Promise<string> };
    try {
      node = await startNode(opts);
    } catch (err) {
      opts.log.error(err instanceof Error ? err.message : String(err));
      return 1;
    }
    opts.log.info(`node ${opts.name} serving for ${opts.url} (pid ${process.pid})`);
    const stopped = new Promise<undefined>((done) => {
      if (this.context.signal.aborted) return done(undefined);
      this.context.signal.addEventListener('abort', () => done(undefined), { once: true });
    });
    const fatal = await Promise.race([stopped, node.fatal]);
    if (fatal) opts.log.error(fatal);
    opts.log.info(`node ${opts.name} stopping`);
    await node.stop();
    opts.log.info(`node ${opts.name} stopped`);
    return fatal ? 1 : 0;
  }
}
