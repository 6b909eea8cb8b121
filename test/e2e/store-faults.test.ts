/**
 * A database another process keeps locked: the real daemon (a child process) answers 503 with
 * Retry-After once its busy timeout is spent, stays up, and writes again once the lock is gone.
 */
import { afterAll, describe, expect, test } from '@jest/globals';
import Database from 'better-sqlite3';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sidekickHome } from '../../api/home.js';
import { socketOwnerHeaders } from '../../api/client/connection.js';
import { GV, startDaemonProcess } from './support.js';

/** A POST over the daemon's socket, answered with status, Retry-After and body. */
function post(socketPath: string, path: string, body: unknown): Promise<{ status: number; retryAfter?: string; body: Record<string, any> }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, method: 'POST', headers: { 'content-type': 'application/json', ...socketOwnerHeaders(socketPath) } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'], body: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

const session = (name: string): Record<string, unknown> => ({ apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Session', metadata: { name }, spec: {} });

const dir = mkdtempSync(join(tmpdir(), 'sk-store-faults-'));
let daemon: ChildProcess | undefined;
afterAll(() => {
  daemon?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('store faults against the real daemon', () => {
  test('another process holding the write lock past the busy timeout gets 503, the daemon survives, then writes succeed', async () => {
    const home = join(dir, 'home');
    daemon = await startDaemonProcess(home);
    const paths = sidekickHome(home);
    expect((await post(paths.socket, `${GV}/sessions`, session('before'))).status).toBe(201);

    const other = new Database(paths.database);
    other.exec('BEGIN IMMEDIATE');
    let answer: Awaited<ReturnType<typeof post>>;
    try {
      answer = await post(paths.socket, `${GV}/sessions`, session('during'));
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    expect(answer.status).toBe(503);
    expect(answer.retryAfter).toBe('1');
    expect(answer.body).toMatchObject({ kind: 'Status', reason: 'ServiceUnavailable', code: 503, details: { retryAfterSeconds: 1 } });
    expect(answer.body.message).toBe('the store is busy (SQLITE_BUSY: database is locked); retry in 1s');
    expect(daemon.exitCode).toBeNull();
    expect(daemon.signalCode).toBeNull();

    expect((await post(paths.socket, `${GV}/sessions`, session('after'))).status).toBe(201);
    expect(daemon.exitCode).toBeNull();
  }, 30_000);
});
