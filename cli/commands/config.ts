/** `sidekick config`: write a kubeconfig so kubectl (and other Kubernetes tools) reach the daemon over TCP. */
import { Command, Option, UsageError } from 'clipanion';
import { SidekickCommand } from '../base-command.js';

export class ConfigCommand extends SidekickCommand {
  static override paths = [['config']];
  static override usage = Command.Usage({
    description: 'Write a kubeconfig for the daemon',
    details: `
      Writes \`kubeconfig\` in the home directory (mode 0600, atomically) with a cluster whose server is the daemon's TCP
      address (from \`daemon.json\`), a user with the daemon's bearer token, and a context named \`sidekick\` selected
      as current. The daemon must listen on TCP: \`sidekick daemon start --listen 127.0.0.1:7443\`.
    `,
    examples: [
      ['Write it, then use kubectl', 'sidekick config && kubectl --kubeconfig ~/.sidekick/kubeconfig get runs'],
      ['Show it', 'sidekick config view'],
    ],
  });

  home = Option.String('--home', { description: 'Sidekick home directory (default: $SIDEKICK_HOME or ~/.sidekick)' });
  certificateAuthority = Option.String('--certificate-authority', { description: 'PEM CA to embed (default: the daemon certificate named in daemon.json)' });
  insecureSkipTlsVerify = Option.Boolean('--insecure-skip-tls-verify', false, { description: 'Do not verify the https listener certificate' });
  namespaceFlag = Option.String('-n,--namespace', 'default', { description: 'Namespace of the context' });

  async execute(): Promise<number> {
    const { sidekickHome } = await import('../../api/home.js');
    const { readDaemonInfo } = await import('../daemon/process-info.js');
    const fs = await import('node:fs/promises');
    const { resolve } = await import('node:path');
    const { toYaml } = await import('../printers/output-format.js');
    const paths = sidekickHome(this.home ? resolve(this.context.cwd, this.home) : undefined, this.context.env);
    const info = await readDaemonInfo(paths);
    if (!info.tcp) throw new UsageError(`the daemon at ${paths.root} has no TCP listener (start it with: sidekick daemon start --listen 127.0.0.1:7443)`);
    let token: string;
    try {
      token = (await fs.readFile(paths.token, 'utf8')).trim();
    } catch {
      throw new UsageError(`no token at ${paths.token}; is the daemon started on this home?`);
    }
    const cluster: Record<string, unknown> = { server: info.tcp };
    const caFile = this.certificateAuthority ? resolve(this.context.cwd, this.certificateAuthority) : info.ca;
    // Embedded rather than referenced, so the kubeconfig keeps working when copied elsewhere.
    if (this.insecureSkipTlsVerify) cluster['insecure-skip-tls-verify'] = true;
    else if (caFile) cluster['certificate-authority-data'] = (await fs.readFile(caFile)).toString('base64');
    const kubeconfig = {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'sidekick', cluster }],
      users: [{ name: 'sidekick', user: { token } }],
      contexts: [{ name: 'sidekick', context: { cluster: 'sidekick', user: 'sidekick', namespace: this.namespaceFlag } }],
      'current-context': 'sidekick',
      preferences: {},
    };
    // It holds the token: private, atomic and durable (temp file, fsync, rename).
    const { writeFileAtomic } = await import('../../api/atomic-file.js');
    await writeFileAtomic(paths.kubeconfig, await toYaml(kubeconfig));
    this.out(`kubeconfig written to ${paths.kubeconfig} (context "sidekick", server ${info.tcp})`);
    return 0;
  }
}
