/**
 * Finds out, once per process, whether bubblewrap can build a sandbox here: the binary must be on
 * PATH and creating the namespaces must work (a kernel or AppArmor profile may forbid
 * unprivileged user namespaces, which only a real attempt reveals).
 */
import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import path from 'node:path';

/** What the probe found. */
export type SandboxAvailability =
  | { available: true; mechanism: 'bubblewrap'; bwrap: string }
  | { available: false; mechanism: 'bubblewrap'; reason: string };

/** How to get the mechanism, for messages. */
export const INSTALL_HINT = 'install bubblewrap (Debian/Ubuntu: apt install bubblewrap; Fedora: dnf install bubblewrap; Arch: pacman -S bubblewrap)';

let cached: Promise<SandboxAvailability> | undefined;

/** Probes bubblewrap (cached for the life of the process). */
export function probeSandbox(env: NodeJS.ProcessEnv = process.env): Promise<SandboxAvailability> {
  return (cached ??= probe(env));
}

async function probe(env: NodeJS.ProcessEnv): Promise<SandboxAvailability> {
  if (process.platform !== 'linux') return { available: false, mechanism: 'bubblewrap', reason: `no sandbox mechanism on ${process.platform} yet` };
  const bwrap = await findOnPath('bwrap', env.PATH ?? '/usr/bin:/bin');
  if (!bwrap) return { available: false, mechanism: 'bubblewrap', reason: `bwrap was not found on PATH; ${INSTALL_HINT}` };
  const args = ['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--unshare-net', '--unshare-pid', '--die-with-parent', '--', '/bin/true'];
  return new Promise((resolve) => {
    execFile(bwrap, args, { timeout: 10_000 }, (err, _stdout, stderr) => {
      if (!err) return resolve({ available: true, mechanism: 'bubblewrap', bwrap });
      const why = String(stderr).trim() || err.message;
      resolve({ available: false, mechanism: 'bubblewrap', reason: `bubblewrap cannot create a sandbox here (${why}); unprivileged user namespaces may be disabled (sysctl kernel.unprivileged_userns_clone=1, or an AppArmor profile for bwrap)` });
    });
  });
}

async function findOnPath(name: string, pathVar: string): Promise<string | undefined> {
  for (const dir of pathVar.split(':')) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}
