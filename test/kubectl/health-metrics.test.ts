/**
 * The real kubectl reads the daemon's health and metrics endpoints over its TCP listener
 * (`kubectl get --raw`), as an operator checking a cluster would.
 */
import { describe, expect, it } from '@jest/globals';
import { parsePrometheus } from '../support/prometheus.js';
import { kubectlPerFile } from './kubectl.js';

const kubectl = kubectlPerFile();
const ok = kubectl.ok;

describe('kubectl get --raw', () => {
  it('/readyz?verbose lists the checks in kube-apiserver format', async () => {
    const out = await ok(['get', '--raw', '/readyz?verbose']);
    expect(out.trimEnd().split('\n')).toEqual(['[+]ping ok', '[+]store ok', '[+]shutdown ok', 'readyz check passed']);
    expect(await ok(['get', '--raw', '/livez'])).toBe('ok');
    expect(await ok(['get', '--raw', '/readyz/store'])).toBe('ok');
  });

  it('/metrics parses and counts what kubectl itself asked for', async () => {
    await ok(['get', 'agents']);
    const m = parsePrometheus(await ok(['get', '--raw', '/metrics']));
    expect(m.value('apiserver_request_total', { verb: 'list', group: 'sidekicks.dev', resource: 'agents', code: '200' })).toBeGreaterThanOrEqual(1);
    expect(m.types.get('apiserver_request_duration_seconds')).toBe('histogram');
  });

  it('/metrics is open to any valid token, a Viewer’s too, and auth can-i says so', async () => {
    const token = await ok(['create', '--validate=false', '-o', 'jsonpath={.status.token}', '-f', '-'], JSON.stringify({ apiVersion: 'auth.sidekicks.dev/v1alpha1', kind: 'Token', metadata: { name: 'watcher' }, spec: { role: 'Viewer' } }));
    expect(parsePrometheus(await ok(['--token', token.trim(), 'get', '--raw', '/metrics'])).types.get('apiserver_request_total')).toBe('counter');
    expect(await kubectl.env.run(['--token', token.trim(), 'auth', 'can-i', 'get', '/metrics'])).toMatchObject({ code: 0, stdout: 'yes\n' });
  });

  it('/metrics with a token the server did not issue is refused', async () => {
    const r = await kubectl.env.run(['get', '--raw', '/metrics', '--token', 'not-a-token']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('error: You must be logged in to the server (Unauthorized)');
    expect(r.stdout).toBe('');
  });
});
