/**
 * Where a user's credentials live, relative to their home directory: what a sandbox hides even
 * though the rest of the filesystem stays readable (the same stance as Claude Code's and Codex's
 * sandboxes: read broadly, write the workspace only, never read secrets).
 */

/** Directories under HOME that hold credentials (hidden behind an empty tmpfs). */
export const credentialDirs = [
  '.ssh',
  '.aws',
  '.azure',
  '.config/gcloud',
  '.config/gh',
  '.config/hub',
  '.config/op',
  '.config/anthropic',
  '.config/openai',
  '.docker',
  '.kube',
  '.gnupg',
  '.password-store',
  '.local/share/keyrings',
  '.terraform.d',
  '.claude',
  '.codex',
  '.sidekick',
] as const;

/** Files under HOME that hold credentials (hidden behind /dev/null). */
export const credentialFiles = [
  '.netrc',
  '.npmrc',
  '.yarnrc.yml',
  '.pypirc',
  '.git-credentials',
  '.config/git/credentials',
  '.cargo/credentials',
  '.cargo/credentials.toml',
  '.gem/credentials',
  '.m2/settings.xml',
  '.vault-token',
  '.claude.json',
  '.pgpass',
  '.my.cnf',
] as const;
