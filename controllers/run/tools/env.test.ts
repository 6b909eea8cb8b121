import { describe, expect, it } from '@jest/globals';
import { classifyEnvVar, sanitizeEnv } from './env.js';

describe('classifyEnvVar', () => {
  it.each([
    ['PATH', undefined],
    ['HOME', undefined],
    ['LANG', undefined],
    ['TERM', undefined],
    ['KEYBOARD', undefined],
    ['TOKENIZERS_PARALLELISM', undefined],
    ['GITHUB_TOKEN', 'Credential'],
    ['GH_TOKEN', 'Credential'],
    ['NPM_TOKEN', 'Credential'],
    ['STRIPE_API_KEY', 'Credential'],
    ['my_service_key', 'Credential'],
    ['CLIENT_SECRET', 'Credential'],
    ['DB_PASSWORD', 'Credential'],
    ['PGPASSWORD', 'Credential'],
    ['PASSWORD_FILE', 'Credential'],
    ['DOCKER_CREDENTIALS_PATH', 'Credential'],
    ['AWS_ACCESS_KEY_ID', 'Credential'],
    ['AWS_PROFILE', 'Credential'],
    ['AZURE_CLIENT_ID', 'Credential'],
    ['GOOGLE_APPLICATION_CREDENTIALS', 'Credential'],
    ['GCP_SERVICE_ACCOUNT', 'Credential'],
    ['ANTHROPIC_BASE_URL', 'Credential'],
    ['OPENAI_ORG_ID', 'Credential'],
    ['SSH_AUTH_SOCK', 'Credential'],
    ['HTTP_PROXY', 'Proxy'],
    ['https_proxy', 'Proxy'],
    ['ALL_PROXY', 'Proxy'],
    ['no_proxy', 'Proxy'],
    ['LD_PRELOAD', 'PathInjection'],
    ['LD_LIBRARY_PATH', 'PathInjection'],
    ['DYLD_INSERT_LIBRARIES', 'PathInjection'],
    ['NODE_OPTIONS', 'PathInjection'],
    ['NODE_PATH', 'PathInjection'],
    ['PYTHONPATH', 'PathInjection'],
    ['PYTHONSTARTUP', 'PathInjection'],
    ['PERL5LIB', 'PathInjection'],
    ['RUBYOPT', 'PathInjection'],
    ['RUBYLIB', 'PathInjection'],
    ['BASH_ENV', 'PathInjection'],
    ['ENV', 'PathInjection'],
    ['GIT_DIR', 'PathInjection'],
    ['GIT_SSH_COMMAND', 'PathInjection'],
    ['NODE_ENV', undefined],
    ['ENVIRONMENT', undefined],
  ])('%s → %s', (name, category) => {
    expect(classifyEnvVar(name)).toBe(category);
  });
});

describe('sanitizeEnv', () => {
  const env = { PATH: '/usr/bin', HOME: '/home/me', GITHUB_TOKEN: 'ghp_x', https_proxy: 'http://p', LD_PRELOAD: 'evil.so', UNSET: undefined };

  it('drops credentials, proxies and path injection, keeps the rest', () => {
    expect(sanitizeEnv(env)).toEqual({ PATH: '/usr/bin', HOME: '/home/me' });
  });

  it('keeps everything with allowPassthrough', () => {
    expect(sanitizeEnv(env, { allowPassthrough: true })).toEqual({ PATH: '/usr/bin', HOME: '/home/me', GITHUB_TOKEN: 'ghp_x', https_proxy: 'http://p', LD_PRELOAD: 'evil.so' });
  });

  it('does not modify its input', () => {
    const input = { A_TOKEN: 'x' };
    sanitizeEnv(input);
    expect(input).toEqual({ A_TOKEN: 'x' });
  });
});
