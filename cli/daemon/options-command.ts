/**
 * The options that configure a daemon, shared by `daemon run` (which serves with them) and
 * `daemon start` (which passes them on to the `daemon run` it spawns), so the two never drift.
 */
import { Option, UsageError } from 'clipanion';
import * as t from 'typanion';
import { resolve } from 'node:path';
import { SidekickCommand } from '../base-command.js';
import { setFlags, type DaemonFlags } from './flags.js';

export abstract class DaemonOptionsCommand extends SidekickCommand {
  home = Option.String('--home', { description: 'Sidekick home directory (default: $SIDEKICK_HOME or ~/.sidekick)' });
  listen = Option.String('--listen', { description: 'HOST:PORT of a TCP listener (bearer token auth)' });
  tlsCert = Option.String('--tls-cert', { description: 'PEM certificate for the TCP listener' });
  tlsKey = Option.String('--tls-key', { description: 'PEM private key for the TCP listener' });
  database = Option.String('--database', { description: 'postgres://… URL of a Postgres database instead of the embedded SQLite file' });
  // No default: `daemon start` compares only the flags given with the running daemon's.
  allowEnvPassthrough = Option.Boolean('--allow-env-passthrough', { description: 'Give agent processes the daemon environment unfiltered (credentials included)' });
  defaultIsolation = Option.String('--default-isolation', {
    description: 'Isolation of runs whose agent and repo mount set no spec.isolation: Required (default on Linux), BestEffort or Off',
    validator: t.isEnum(['Required', 'BestEffort', 'Off'] as const),
  });

  /** The flags given on the command line (TLS paths resolved against `base`); unset ones are absent. */
  protected askedFlags(base: string): DaemonFlags {
    return setFlags({
      listen: this.listen,
      tlsCert: this.tlsCert && resolve(base, this.tlsCert),
      tlsKey: this.tlsKey && resolve(base, this.tlsKey),
      database: this.database,
      allowEnvPassthrough: this.allowEnvPassthrough,
      defaultIsolation: this.defaultIsolation,
    });
  }

  /**
   * Refuses options the daemon would refuse (non-loopback `--listen` without TLS, …) as a usage
   * error, before anything is written to the home directory.
   */
  protected async checkOptions(tlsBase: string): Promise<void> {
    const { checkDaemonOptions } = await import('./options.js');
    try {
      await checkDaemonOptions({
        listen: this.listen,
        tlsCert: this.tlsCert && resolve(tlsBase, this.tlsCert),
        tlsKey: this.tlsKey && resolve(tlsBase, this.tlsKey),
        ...(this.database ? { database: { kind: 'postgres' as const, url: this.database } } : {}),
      });
    } catch (err) {
      throw new UsageError(err instanceof Error ? err.message : String(err));
    }
  }
}
