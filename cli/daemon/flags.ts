/**
 * The command-line flags a background daemon runs with, as `daemon.json` records them: so `daemon
 * start` can tell whether the running daemon is the one asked for, and `daemon restart` without
 * flags can start it again the same way. TLS paths are absolute (resolved where they were given).
 * WARNING: `database` is the full postgres:// URL, password included; daemon.json is 0600 in a
 * 0700 home, like the token file.
 */
import type { IsolationPolicy } from '../../resources/kinds/common.js';

export interface DaemonFlags {
  listen?: string;
  tlsCert?: string;
  tlsKey?: string;
  database?: string;
  allowEnvPassthrough?: boolean;
  defaultIsolation?: IsolationPolicy;
}

/** Each flag, its command-line name, in the order they are printed. */
const NAMES: [keyof DaemonFlags, string][] = [
  ['listen', '--listen'],
  ['tlsCert', '--tls-cert'],
  ['tlsKey', '--tls-key'],
  ['database', '--database'],
  ['allowEnvPassthrough', '--allow-env-passthrough'],
  ['defaultIsolation', '--default-isolation'],
];

/** The flags as `daemon run` arguments. */
export function flagArgs(flags: DaemonFlags): string[] {
  const args: string[] = [];
  for (const [key, flag] of NAMES) {
    const value = flags[key];
    if (value === true) args.push(flag);
    else if (typeof value === 'string' && value !== '') args.push(flag, value);
  }
  return args;
}

/** Only the flags that are set (what daemon.json records). */
export function setFlags(flags: DaemonFlags): DaemonFlags {
  return Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined && v !== '' && v !== false)) as DaemonFlags;
}

/**
 * How the running daemon differs from what was asked, for every flag that was asked
 * (`asked[key] !== undefined`): `without --listen`, `with --listen 127.0.0.1:9000`. Empty when
 * the running daemon is what was asked; flags not asked are not compared.
 */
export function flagDifferences(asked: DaemonFlags, running: DaemonFlags): string[] {
  const differences: string[] = [];
  for (const [key, flag] of NAMES) {
    const want = asked[key];
    if (want === undefined) continue;
    const have = running[key];
    if ((want || undefined) === (have || undefined)) continue;
    differences.push(have === undefined || have === false || have === '' ? `without ${flag}` : have === true ? `with ${flag}` : `with ${flag} ${have}`);
  }
  return differences;
}

/** `sidekick daemon restart …` with `flags` (and `--home` when given), quoted for a POSIX shell. */
export function restartCommand(flags: DaemonFlags, home: string | undefined): string {
  const args = [...(home ? ['--home', home] : []), ...flagArgs(flags)];
  return ['sidekick', 'daemon', 'restart', ...args.map(shellWord)].join(' ');
}

function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
