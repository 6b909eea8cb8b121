import { describe, expect, it } from '@jest/globals';
import { admitsEnvVar, sanitizeEnv } from './env.js';

describe('admitsEnvVar', () => {
  it.each(['PATH', 'HOME', 'LANG', 'LANGUAGE', 'LC_ALL', 'LC_CTYPE', 'TERM', 'TZ', 'USER', 'SHELL'])('%s passes', (name) => {
    expect(admitsEnvVar(name)).toBe(true);
  });

  // Every class the allowlist exists for: credentials a deny list misses, proxies, code injection, our own home.
  it.each([
    'MY_PASSWD',
    'DATABASE_URL',
    'SLACK_WEBHOOK_URL',
    'NPM_CONFIG__AUTH',
    'DOCKER_AUTH_CONFIG',
    'SIDEKICK_HOME',
    'SIDEKICK_TOKEN',
    'GITHUB_TOKEN',
    'AWS_SECRET_ACCESS_KEY',
    'ANTHROPIC_API_KEY',
    'OPENAI_API_KEY',
    'SSH_AUTH_SOCK',
    'HTTP_PROXY',
    'https_proxy',
    'NO_PROXY',
    'LD_PRELOAD',
    'LD_LIBRARY_PATH',
    'NODE_OPTIONS',
    'NODE_PATH',
    'PYTHONPATH',
    'PERL5OPT',
    'BASH_ENV',
    'GIT_DIR',
    'GIT_SSH_COMMAND',
    'GIT_CONFIG_GLOBAL',
    'path', // names are case-sensitive on Linux: a lower-case PATH is some other variable
  ])('%s is withheld', (name) => {
    expect(admitsEnvVar(name)).toBe(false);
  });
});

describe('sanitizeEnv', () => {
  const env = { PATH: '/usr/bin', HOME: '/home/me', LC_ALL: 'C.UTF-8', DATABASE_URL: 'postgres://u:pw@db/x', LD_PRELOAD: 'evil.so', EMPTY: undefined };

  it('keeps only the allowlist', () => {
    expect(sanitizeEnv(env)).toEqual({ PATH: '/usr/bin', HOME: '/home/me', LC_ALL: 'C.UTF-8' });
  });

  it('keeps everything with allowPassthrough', () => {
    expect(sanitizeEnv(env, { allowPassthrough: true })).toEqual({ PATH: '/usr/bin', HOME: '/home/me', LC_ALL: 'C.UTF-8', DATABASE_URL: 'postgres://u:pw@db/x', LD_PRELOAD: 'evil.so' });
  });
});
