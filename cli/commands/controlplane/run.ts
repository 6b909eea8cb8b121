/** `sidekick controlplane`: the team's shared API server and cluster controllers, on Postgres and NATS. */
import { Command, Option, UsageError } from 'clipanion';
import { SidekickCommand } from '../../base-command.js';

export class ControlPlaneRunCommand extends SidekickCommand {
  static override paths = [['controlplane'], ['controlplane', 'run']];
  static override usage = Command.Usage({
    category: 'Control plane',
    description: 'Run a control-plane replica in the foreground',
    details: `
      Serves the Sidekicks API (discovery, OpenAPI, tables, server-side apply, watch) from a shared Postgres database and
      runs the cluster controllers (sessions, approvals, channels, workflows, notifications) on whichever replica holds
      the \`sidekick-controlplane\` Lease. Run as many replicas as you like behind one Service: every replica answers the
      same, and a watch resumed on another replica continues from its resourceVersion. It never executes agent code:
      runs execute on runtime nodes. Logs to stderr; SIGTERM hands the lease over and stops cleanly.

      Every flag can also be given as its environment variable (a flag beats its variable): SIDEKICK_DATABASE_URL,
      SIDEKICK_NATS_URL, SIDEKICK_LISTEN, SIDEKICK_TLS_CERT, SIDEKICK_TLS_KEY, SIDEKICK_REPLICA_ID,
      SIDEKICK_SIGNING_KEY_FILE, SIDEKICK_HISTORY_SIZE, SIDEKICK_HISTORY_RETENTION, SIDEKICK_LEASE_DURATION,
      SIDEKICK_NODE_MONITOR_GRACE, SIDEKICK_NODE_LOST_GRACE.

      Runtime nodes (\`sidekick serve\`) renew a Lease in \`sidekick-node-lease\`; a node that has not renewed it for
      \`--node-monitor-grace\` goes NotReady and its runs that had not started are scheduled elsewhere. Its started runs
      stay bound (they resume when it returns) until it has been NotReady for \`--node-lost-grace\`; then they fail with
      reason NodeLost.

      A listener off loopback needs \`--tls-cert\` and \`--tls-key\`; a Postgres server off this machine needs
      \`sslmode=verify-full\` in its URL. Probes: /livez and /readyz (anonymous); metrics: /metrics (a token).
      Tokens: \`sidekick controlplane token create NAME --signing-key FILE --role Owner\`.
    `,
    examples: [
      [
        'One replica on this machine',
        'sidekick controlplane --database postgres://sidekick:pw@127.0.0.1/sidekick --nats nats://127.0.0.1:4222 --signing-key signing.pem',
      ],
      ['Print the pending schema migrations', 'sidekick controlplane migrate --database postgres://… --dry-run'],
    ],
  });

  database = Option.String('--database', { description: 'postgres:// URL of the shared database ($SIDEKICK_DATABASE_URL)' });
  nats = Option.String('--nats', { description: 'nats:// URL(s) of NATS with JetStream, comma-separated ($SIDEKICK_NATS_URL)' });
  listen = Option.String('--listen', { description: 'HOST:PORT to serve on (default 127.0.0.1:8443; $SIDEKICK_LISTEN)' });
  tlsCert = Option.String('--tls-cert', { description: 'PEM certificate of the listener ($SIDEKICK_TLS_CERT)' });
  tlsKey = Option.String('--tls-key', { description: 'PEM private key of the listener ($SIDEKICK_TLS_KEY)' });
  replicaId = Option.String('--replica-id', { description: 'This replica\'s name, the lease holder identity (default: the hostname; $SIDEKICK_REPLICA_ID)' });
  signingKey = Option.String('--signing-key', { description: 'PEM private key that signs and verifies API tokens, the same on every replica ($SIDEKICK_SIGNING_KEY_FILE)' });
  historySize = Option.String('--history-size', { description: 'Changes kept for watch replay (default 4096; $SIDEKICK_HISTORY_SIZE)' });
  historyRetention = Option.String('--history-retention', { description: 'Also drop changes older than this from the history, e.g. 10m (default: by count only; $SIDEKICK_HISTORY_RETENTION)' });
  leaseDuration = Option.String('--lease-duration', { description: 'How long a silent leader keeps the lease (default 15s; $SIDEKICK_LEASE_DURATION)' });
  nodeMonitorGrace = Option.String('--node-monitor-grace', { description: 'How long a runtime node that stopped renewing its Lease stays Ready (default 40s; $SIDEKICK_NODE_MONITOR_GRACE)' });
  nodeLostGrace = Option.String('--node-lost-grace', { description: 'How long a runtime node may stay NotReady before its started runs fail with reason NodeLost (default 5m; $SIDEKICK_NODE_LOST_GRACE)' });
  allowInsecureDatabase = Option.Boolean('--allow-insecure-database', false, { description: 'Connect to a Postgres server off this machine without verified TLS' });

  async execute(): Promise<number> {
    const { hostname } = await import('node:os');
    const { resolve } = await import('node:path');
    const { parseHumanDuration } = await import('../../../api/human-duration.js');
    const env = this.context.env;
    const path = (v: string | undefined): string | undefined => (v ? resolve(this.context.cwd, v) : undefined);
    const database = this.database ?? env.SIDEKICK_DATABASE_URL;
    const nats = this.nats ?? env.SIDEKICK_NATS_URL;
    if (!database) throw new UsageError('required flag(s) "database" not set (or $SIDEKICK_DATABASE_URL)');
    if (!nats) throw new UsageError('required flag(s) "nats" not set (or $SIDEKICK_NATS_URL)');
    const signingKey = path(this.signingKey ?? env.SIDEKICK_SIGNING_KEY_FILE);
    if (!signingKey) throw new UsageError('required flag(s) "signing-key" not set (or $SIDEKICK_SIGNING_KEY_FILE)');
    const historyText = this.historySize ?? env.SIDEKICK_HISTORY_SIZE;
    const historySize = historyText === undefined ? undefined : Number(historyText);
    if (historySize !== undefined && (!Number.isInteger(historySize) || historySize < 1)) {
      throw new UsageError(`--history-size: expected a positive integer, got ${JSON.stringify(historyText)}`);
    }
    const retentionText = this.historyRetention ?? env.SIDEKICK_HISTORY_RETENTION;
    const historyRetentionMs = retentionText === undefined ? undefined : parseHumanDuration(retentionText);
    if (retentionText !== undefined && (historyRetentionMs === undefined || historyRetentionMs < 1000)) {
      throw new UsageError(`--history-retention: expected a duration of at least 1s such as 10m, got ${JSON.stringify(retentionText)}`);
    }
    const leaseText = this.leaseDuration ?? env.SIDEKICK_LEASE_DURATION;
    let leaseDurationMs: number | undefined;
    if (leaseText !== undefined) {
      leaseDurationMs = parseHumanDuration(leaseText);
      // A Lease counts whole seconds (spec.leaseDurationSeconds).
      if (leaseDurationMs === undefined || leaseDurationMs < 1000 || leaseDurationMs % 1000 !== 0) throw new UsageError(`--lease-duration: expected whole seconds, at least 1s, such as 15s, got ${JSON.stringify(leaseText)}`);
    }
    const grace = (flag: string, text: string | undefined): number | undefined => {
      if (text === undefined) return undefined;
      const ms = parseHumanDuration(text);
      if (ms === undefined || ms < 1000) throw new UsageError(`${flag}: expected a duration of at least 1s such as 40s or 5m, got ${JSON.stringify(text)}`);
      return ms;
    };
    // An empty variable is an unset one.
    const nodeMonitorGraceMs = grace('--node-monitor-grace', this.nodeMonitorGrace ?? (env.SIDEKICK_NODE_MONITOR_GRACE || undefined));
    const nodeLostGraceMs = grace('--node-lost-grace', this.nodeLostGrace ?? (env.SIDEKICK_NODE_LOST_GRACE || undefined));
    const log = (line: string): void => void this.context.stderr.write(`${new Date().toISOString()} ${line}\n`);
    const options = {
      database,
      nats,
      listen: this.listen ?? env.SIDEKICK_LISTEN,
      tlsCert: path(this.tlsCert ?? env.SIDEKICK_TLS_CERT),
      tlsKey: path(this.tlsKey ?? env.SIDEKICK_TLS_KEY),
      replicaId: this.replicaId ?? env.SIDEKICK_REPLICA_ID ?? hostname(),
      signingKey,
      historySize,
      historyRetentionMs,
      leaseDurationMs,
      nodeMonitorGraceMs,
      nodeLostGraceMs,
      allowInsecureDatabase: this.allowInsecureDatabase,
      log,
    };
    const { checkControlPlaneOptions } = await import('../../controlplane/options.js');
    try {
      await checkControlPlaneOptions(options);
    } catch (err) {
      throw new UsageError(err instanceof Error ? err.message : String(err));
    }
    const { startControlPlane } = await import('../../controlplane/compose.js');
    const { startIdleGc } = await import('../../../controllers/idle-gc.js');
    const plane = await startControlPlane(options);
    const stopIdleGc = startIdleGc();
    log(`controlplane ${options.replicaId} serving ${plane.url} (pid ${process.pid})`);
    await new Promise<void>((done) => {
      if (this.context.signal.aborted) return done();
      this.context.signal.addEventListener('abort', () => done(), { once: true });
    });
    log('controlplane stopping');
    stopIdleGc();
    await plane.stop();
    log('controlplane stopped');
    return 0;
  }
}
