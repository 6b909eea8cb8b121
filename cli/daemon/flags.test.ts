import { describe, expect, test } from '@jest/globals';
import { flagArgs, flagDifferences, restartCommand, setFlags } from './flags.js';

describe('daemon flags', () => {
  test.each([
    [{ listen: '127.0.0.1:7443' }, {}, ['without --listen']],
    [{ listen: '127.0.0.1:7443' }, { listen: '127.0.0.1:9000' }, ['with --listen 127.0.0.1:9000']],
    [{ listen: '127.0.0.1:7443' }, { listen: '127.0.0.1:7443', allowEnvPassthrough: true }, []],
    [{}, { listen: '127.0.0.1:7443' }, []],
    [{ allowEnvPassthrough: true, defaultIsolation: 'Off' as const }, { defaultIsolation: 'Required' as const }, ['without --allow-env-passthrough', 'with --default-isolation Required']],
    [{ allowEnvPassthrough: false }, { allowEnvPassthrough: true }, ['with --allow-env-passthrough']],
  ])('asked %j of a daemon running with %j: %j', (asked, running, differences) => {
    expect(flagDifferences(asked, running)).toEqual(differences);
  });

  test('the restart command quotes what a shell would split, and names the home when given', () => {
    expect(restartCommand({ listen: '127.0.0.1:7443' }, undefined)).toBe('sidekick daemon restart --listen 127.0.0.1:7443');
    expect(restartCommand({ tlsCert: "/my certs/it's.pem", allowEnvPassthrough: true }, '/tmp/h')).toBe(`sidekick daemon restart --home /tmp/h --tls-cert '/my certs/it'\\''s.pem' --allow-env-passthrough`);
  });

  test('setFlags keeps what is set; flagArgs gives it back as daemon run arguments', () => {
    const flags = setFlags({ listen: '127.0.0.1:0', tlsCert: undefined, database: '', allowEnvPassthrough: false, defaultIsolation: 'BestEffort' });
    expect(flags).toEqual({ listen: '127.0.0.1:0', defaultIsolation: 'BestEffort' });
    expect(flagArgs(flags)).toEqual(['--listen', '127.0.0.1:0', '--default-isolation', 'BestEffort']);
  });
});
