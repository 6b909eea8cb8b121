/** Listeners, the token file and the daemon's start/stop as the CLI sees them. */
import { describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon } from '../../cli/daemon/compose.js';
import { X509Certificate } from 'node:crypto';
import { ensureToken } from '../auth/tokens.js';
import { isLoopback, parseListen } from './listen.js';
import { createSelfSigned } from './self-signed.js';

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'sidekick-listen-'));
}

describe('listen addresses', () => {
  it('parses HOST:PORT and knows loopback', () => {
    expect(parseListen('127.0.0.1:0')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parseListen('[::1]:7443')).toEqual({ host: '::1', port: 7443 });
    expect(() => parseListen('7443')).toThrow(/HOST:PORT/);
    expect(isLoopback('127.0.0.1')).toBe(true);
    expect(isLoopback('::1')).toBe(true);
    expect(isLoopback('0.0.0.0')).toBe(false);
    expect(isLoopback('10.1.2.3')).toBe(false);
  });
});

describe('token', () => {
  it('is generated once, skt_ and 32 random bytes base64url (never a leading dash), mode 0600, and reused', async () => {
    const dir = await tempDir();
    try {
      const path = join(dir, 'token');
      const token = await ensureToken(path);
      expect(token).toMatch(/^skt_[A-Za-z0-9_-]{43}$/);
      expect((await stat(path)).mode & 0o777).toBe(0o600);
      expect(await ensureToken(path)).toBe(token);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('self-signed certificate', () => {
  it('is its own CA for the loopback names and matches its key', () => {
    const { cert, key } = createSelfSigned({ days: 30 });
    const x509 = new X509Certificate(cert);
    expect(x509.ca).toBe(true);
    expect(x509.verify(x509.publicKey)).toBe(true);
    expect(x509.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(x509.checkHost('localhost')).toBe('localhost');
    expect(key).toContain('BEGIN PRIVATE KEY');
    expect(Date.parse(x509.validTo) - Date.now()).toBeGreaterThan(29 * 86_400_000);
  });
});

describe('daemon', () => {
  // How fast it starts is measured by `npm run bench` (target < 3 s), not asserted here.
  it('starts, writes daemon.json, secures its files and stops cleanly', async () => {
    const dir = await tempDir();
    try {
      const daemon = await startDaemon({ home: join(dir, 'home'), listen: '127.0.0.1:0' });
      expect(daemon.tcp!.port).toBeGreaterThan(0);
      const info = JSON.parse(await readFile(daemon.paths.daemonInfo, 'utf8'));
      expect(info).toMatchObject({ pid: process.pid, socket: daemon.socketPath, tcp: daemon.tcp!.url, ca: daemon.tcp!.caFile });
      expect(daemon.tcp!.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect((await stat(join(daemon.paths.root, 'tls.key'))).mode & 0o777).toBe(0o600);
      expect((await stat(daemon.paths.root)).mode & 0o777).toBe(0o700);
      expect((await stat(daemon.socketPath)).mode & 0o777).toBe(0o600);
      await daemon.stop();
      await expect(stat(daemon.paths.daemonInfo)).rejects.toThrow();
      // The next start reuses the token and the certificate.
      const again = await startDaemon({ home: join(dir, 'home'), listen: '127.0.0.1:0' });
      expect(again.token).toBe(daemon.token);
      expect(await readFile(again.tcp!.caFile, 'utf8')).toBe(await readFile(daemon.tcp!.caFile, 'utf8'));
      await again.stop();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a non-loopback TCP address without TLS', async () => {
    const dir = await tempDir();
    try {
      await expect(startDaemon({ home: join(dir, 'home'), listen: '0.0.0.0:0' })).rejects.toThrow(/without TLS/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
