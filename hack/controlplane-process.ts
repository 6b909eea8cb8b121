/**
 * Starts `sidekick controlplane` replicas as separate processes, as an operator would, for the
 * end-to-end tests and the control-plane benchmark: a signing key shared by the replicas, a token
 * made by the CLI, each replica's URL read from its log line.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cliEntry } from './bench/daemon-process.js';

export { cliEntry };

const run = promisify(execFile);

/** One replica process. */
export interface ControlPlaneProcess {
  replicaId: string;
  /** `http(s)://127.0.0.1:PORT`. */
  url: string;
  pid: number;
  child: ChildProcess;
  /** Everything it logged so far. */
  log(): string;
  /** SIGTERM and wait (a graceful stop: the lease is handed over). */
  stop(): Promise<void>;
  /** SIGKILL and wait (a crash: the lease is left to expire). */
  kill(): Promise<void>;
}

export interface ControlPlaneProcessOptions {
  database: string;
  nats: string;
  replicaId: string;
  signingKey: string;
  /** `--listen`; default 127.0.0.1:0 (a free port, read back from the log). */
  listen?: string;
  args?: string[];
  env?: NodeJS.ProcessEnv;
  /** Flags for node itself (a CPU profile: `--cpu-prof --cpu-prof-dir=DIR`). */
  nodeArgs?: string[];
}

/** Writes a fresh Ed25519 signing key (PKCS#8 PEM, 0600) to `dir/signing.key` and returns its path. */
export function writeSigningKey(dir: string): string {
  const path = join(dir, 'signing.key');
  const { privateKey } = generateKeyPairSync('ed25519');
  writeFileSync(path, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  return path;
}

/** A token for `name` signed with `signingKey`, made by `sidekick controlplane token create`. */
export async function controlPlaneToken(signingKey: string, name = 'admin', role = 'Owner'): Promise<string> {
  const { stdout } = await run(process.execPath, [cliEntry(), 'controlplane', 'token', 'create', name, '--signing-key', signingKey, '--role', role]);
  return stdout.trim();
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r()));
}

/** Spawns a replica and resolves once it logs the URL it serves. */
export async function startControlPlaneProcess(o: ControlPlaneProcessOptions): Promise<ControlPlaneProcess> {
  const args = [...(o.nodeArgs ?? []), cliEntry(), 'controlplane', '--database', o.database, '--nats', o.nats, '--replica-id', o.replicaId, '--signing-key', o.signingKey, '--listen', o.listen ?? '127.0.0.1:0', ...(o.args ?? [])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...o.env } });
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`controlplane ${o.replicaId} did not start in 30 s: ${stderr.trim()}`)), 30_000);
    timer.unref();
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const m = /serving (https?:\/\/\S+)/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`controlplane ${o.replicaId} exited (${code ?? signal}): ${stderr.trim()}`));
    });
  });
  return {
    replicaId: o.replicaId,
    url,
    pid: child.pid as number,
    child,
    log: () => stderr,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited(child);
    },
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited(child);
    },
  };
}
