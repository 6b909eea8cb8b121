/**
 * The environment tool processes (and the Claude / Codex CLIs) run with: the daemon's own,
 * minus credentials, proxy settings and variables that inject code or change how programs load
 * (DOMAIN.md, Drivers). Allow-by-default, so ordinary settings (PATH, HOME, LANG) pass through.
 */

/** Why a variable is withheld from tools. */
export const EnvCategory = { Credential: 'Credential', Proxy: 'Proxy', PathInjection: 'PathInjection' } as const;
export type EnvCategory = (typeof EnvCategory)[keyof typeof EnvCategory];

const credentialPatterns: RegExp[] = [
  /_TOKEN$/,
  /_KEY$/,
  /_SECRET$/,
  /PASSWORD/,
  /_CREDENTIALS/,
  /^AWS_/,
  /^AZURE_/,
  /^GOOGLE_APPLICATION_CREDENTIALS$/,
  /^GCP_/,
  /^CLOUDSDK_AUTH_/,
  /^ANTHROPIC_/,
  /^OPENAI_/,
  /^GITHUB_TOKEN$/,
  /^NPM_TOKEN$/,
  /^SSH_AUTH_SOCK$/,
];

const proxyNames = new Set(['HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'NO_PROXY', 'FTP_PROXY']);

const pathInjectionPatterns: RegExp[] = [
  /^LD_/, // LD_PRELOAD, LD_LIBRARY_PATH, LD_AUDIT: the dynamic loader
  /^DYLD_/,
  /^NODE_OPTIONS$/,
  /^NODE_PATH$/,
  /^PYTHONPATH$/,
  /^PYTHONSTARTUP$/,
  /^PYTHONHOME$/,
  /^PERL5LIB$/,
  /^PERL5OPT$/,
  /^RUBYOPT$/,
  /^RUBYLIB$/,
  /^BASH_ENV$/,
  /^ENV$/,
  // Every GIT_* variable: GIT_DIR, GIT_INDEX_FILE, GIT_CONFIG_* redirect git, GIT_SSH_COMMAND runs code.
  /^GIT_/,
];

/** Returns why `name` is withheld from tools, or undefined when it passes. Names are compared in upper case. */
export function classifyEnvVar(name: string): EnvCategory | undefined {
  const upper = name.toUpperCase();
  if (proxyNames.has(upper)) return EnvCategory.Proxy;
  if (credentialPatterns.some((p) => p.test(upper))) return EnvCategory.Credential;
  if (pathInjectionPatterns.some((p) => p.test(upper))) return EnvCategory.PathInjection;
  return undefined;
}

export interface SanitizeEnvOptions {
  /** `--allow-env-passthrough`: keep everything. */
  allowPassthrough?: boolean;
}

/** Returns a copy of `env` without the variables tools must not see (unless passthrough is allowed). */
export function sanitizeEnv(env: Readonly<Record<string, string | undefined>>, opts: SanitizeEnvOptions = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (!opts.allowPassthrough && classifyEnvVar(name) !== undefined) continue;
    out[name] = value;
  }
  return out;
}
