/**
 * The base of the `sidekick config` verbs: which kubeconfig they read and write (`--kubeconfig`,
 * `$SIDEKICK_KUBECONFIG`, else `kubeconfig` in the home), reading it whole and writing it back
 * atomically with mode 0600, since it holds bearer tokens.
 */
import { Option, UsageError } from 'clipanion';
import { resolve } from 'node:path';
import { SidekickCommand } from '../base-command.js';
import type { Kubeconfig, KubeconfigLocation } from '../../api/client/kubeconfig.js';

export abstract class KubeconfigCommand extends SidekickCommand {
  kubeconfig = Option.String('--kubeconfig', { description: 'The kubeconfig file to use (default: $SIDEKICK_KUBECONFIG, else kubeconfig in the home)' });
  home = Option.String('--home', { description: 'Sidekick home directory (default: $SIDEKICK_HOME or ~/.sidekick)' });

  /** The file, with relative paths taken from the working directory. */
  protected async location(): Promise<KubeconfigLocation> {
    const { kubeconfigLocation } = await import('../../api/client/kubeconfig.js');
    const flags = { kubeconfig: this.kubeconfig ? resolve(this.context.cwd, this.kubeconfig) : undefined, home: this.home ? resolve(this.context.cwd, this.home) : undefined };
    const env = { ...this.context.env, ...(this.context.env.SIDEKICK_KUBECONFIG ? { SIDEKICK_KUBECONFIG: resolve(this.context.cwd, this.context.env.SIDEKICK_KUBECONFIG) } : {}) };
    return kubeconfigLocation(flags, env);
  }

  /** The parsed file; an empty kubeconfig when there is none yet. A file that does not parse is a one-line usage error. */
  protected async load(location: KubeconfigLocation): Promise<Kubeconfig> {
    const { readFile } = await import('node:fs/promises');
    const { emptyKubeconfig, parseKubeconfig, KubeconfigError } = await import('../../api/client/kubeconfig.js');
    let text: string;
    try {
      text = await readFile(location.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyKubeconfig();
      throw new UsageError(`error loading config file "${location.path}": ${(err as Error).message}`);
    }
    try {
      return parseKubeconfig(text, location.path, await import('yaml'));
    } catch (err) {
      if (err instanceof KubeconfigError) throw new UsageError(err.message);
      throw err;
    }
  }

  /** Writes the file atomically (temp file, fsync, rename), mode 0600, creating its directory (0700) if needed. */
  protected async save(location: KubeconfigLocation, config: Kubeconfig): Promise<void> {
    const { mkdir } = await import('node:fs/promises');
    const { dirname } = await import('node:path');
    const { writeFileAtomic } = await import('../../api/atomic-file.js');
    const { toYaml } = await import('../printers/output-format.js');
    await mkdir(dirname(location.path), { recursive: true, mode: 0o700 });
    await writeFileAtomic(location.path, await toYaml({ apiVersion: 'v1', kind: 'Config', preferences: {}, ...config }));
  }
}
