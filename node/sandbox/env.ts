/**
 * The environment tool processes (and the Claude / Codex CLIs) run with: an allowlist of the
 * daemon's variables that say how to run programs (PATH, HOME, locale, terminal, time zone, user,
 * shell), plus what the Agent declares in `spec.env`. Everything else stays out: credentials in any
 * spelling (MY_PASSWD, DATABASE_URL with a password, SLACK_WEBHOOK_URL, NPM_CONFIG__AUTH,
 * DOCKER_AUTH_CONFIG), proxies, variables that inject code or redirect tools (LD_PRELOAD,
 * NODE_OPTIONS, PYTHONPATH, GIT_*), and SIDEKICK_HOME. A deny list cannot name every secret; an
 * allowlist does not have to (DOMAIN.md, Drivers; docs/decisions/0012).
 */

const allowedNames = new Set(['PATH', 'HOME', 'LANG', 'LANGUAGE', 'TERM', 'TZ', 'USER', 'SHELL']);

/** Whether the daemon's variable `name` reaches agent processes without being declared. */
export function admitsEnvVar(name: string): boolean {
  return allowedNames.has(name) || name.startsWith('LC_');
}

export interface SanitizeEnvOptions {
  /** `--allow-env-passthrough`: keep everything. */
  allowPassthrough?: boolean;
}

/** Returns the allowlisted part of `env` (all of it when passthrough is allowed). */
export function sanitizeEnv(env: Readonly<Record<string, string | undefined>>, opts: SanitizeEnvOptions = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (!opts.allowPassthrough && !admitsEnvVar(name)) continue;
    out[name] = value;
  }
  return out;
}
