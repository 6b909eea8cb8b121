/** The kubeconfig edits of the `config` verbs, on plain objects: what each one adds, changes and keeps. */
import { describe, expect, it } from '@jest/globals';
import { emptyKubeconfig, type Kubeconfig } from '../../api/client/kubeconfig.js';
import { contextRows, deleteContext, minified, redacted, setContext } from './kubeconfig-edit.js';

function twoContexts(): Kubeconfig {
  return {
    ...emptyKubeconfig(),
    clusters: [
      { name: 'shared', cluster: { server: 'https://shared:8443', 'certificate-authority-data': 'Q0E=', 'tls-server-name': 'cp' } },
      { name: 'a', cluster: { server: 'https://a:8443' } },
    ],
    users: [
      { name: 'a', user: { token: 'ta', 'client-key-data': 'S0VZ' } },
      { name: 'sso', user: { exec: { command: 'login' } } },
    ],
    contexts: [
      { name: 'a', context: { cluster: 'a', user: 'a', namespace: 'ns-a' } },
      { name: 'b', context: { cluster: 'shared', user: 'sso' } },
      { name: 'c', context: { cluster: 'shared', user: 'sso' } },
    ],
    'current-context': 'a',
  };
}

describe('setContext', () => {
  it('creates a context with a cluster and a user named after it', () => {
    const config = emptyKubeconfig();
    expect(setContext(config, 'team', { server: 'https://cp', token: 't', namespace: 'n' })).toBe('created');
    expect(config.contexts).toEqual([{ name: 'team', context: { cluster: 'team', user: 'team', namespace: 'n' } }]);
    expect(config.clusters).toEqual([{ name: 'team', cluster: { server: 'https://cp' } }]);
    expect(config.users).toEqual([{ name: 'team', user: { token: 't' } }]);
  });

  it("modifies the context's own cluster and user, keeping fields it does not set", () => {
    const config = twoContexts();
    expect(setContext(config, 'b', { server: 'https://moved:8443' })).toBe('modified');
    expect(config.clusters[0].cluster).toEqual({ server: 'https://moved:8443', 'certificate-authority-data': 'Q0E=', 'tls-server-name': 'cp' });
    expect(setContext(config, 'b', { token: 'tb' })).toBe('modified');
    expect(config.users.find((u) => u.name === 'sso')!.user).toEqual({ exec: { command: 'login' }, token: 'tb' });
  });

  it('a CA and skipping verification exclude each other, as kubectl has it', () => {
    const config = twoContexts();
    setContext(config, 'b', { insecureSkipTlsVerify: true });
    expect(config.clusters[0].cluster).toEqual({ server: 'https://shared:8443', 'insecure-skip-tls-verify': true, 'tls-server-name': 'cp' });
    setContext(config, 'b', { certificateAuthority: 'PEM' });
    expect(config.clusters[0].cluster).toEqual({ server: 'https://shared:8443', 'certificate-authority-data': Buffer.from('PEM').toString('base64'), 'tls-server-name': 'cp' });
  });
});

describe('deleteContext', () => {
  it('takes the cluster and user named after it, unsets current-context, leaves shared entries', () => {
    const config = twoContexts();
    expect(deleteContext(config, 'a')).toEqual({ deleted: true, wasCurrent: true });
    expect(config['current-context']).toBeUndefined();
    expect(config.clusters.map((c) => c.name)).toEqual(['shared']);
    expect(config.users.map((u) => u.name)).toEqual(['sso']);
    expect(deleteContext(config, 'b')).toEqual({ deleted: true, wasCurrent: false });
    expect(config.clusters.map((c) => c.name)).toEqual(['shared']);
    expect(deleteContext(config, 'b')).toEqual({ deleted: false, wasCurrent: false });
  });
});

describe('views', () => {
  it('redacted hides tokens and key data and leaves the input alone; minified keeps the current context', () => {
    const config = twoContexts();
    const shown = redacted(config);
    expect(shown.users[0].user).toEqual({ token: 'REDACTED', 'client-key-data': 'DATA+OMITTED' });
    expect(shown.clusters[0].cluster['certificate-authority-data']).toBe('DATA+OMITTED');
    expect(config.users[0].user.token).toBe('ta');
    const mini = minified(config);
    expect([mini.contexts, mini.clusters.map((c) => c.name), mini.users.map((u) => u.name)]).toEqual([[config.contexts[0]], ['a'], ['a']]);
    expect(() => minified({ ...config, 'current-context': undefined })).toThrow('current-context must exist in order to minify');
  });

  it('contextRows sorts by name and stars the current one', () => {
    expect(contextRows(twoContexts()).map((r) => [r.CURRENT, r.NAME, r.CLUSTER, r.AUTHINFO, r.NAMESPACE])).toEqual([
      ['*', 'a', 'a', 'a', 'ns-a'],
      ['', 'b', 'shared', 'sso', ''],
      ['', 'c', 'shared', 'sso', ''],
    ]);
  });
});
