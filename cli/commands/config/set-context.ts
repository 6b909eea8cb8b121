/** `sidekick config set-context NAME`: create or modify a context (with its cluster and user) in the kubeconfig. */
import { Command, Option, UsageError } from 'clipanion';
import { resolve } from 'node:path';
import { KubeconfigCommand } from '../../kubeconfig/kubeconfig-command.js';
import type { ContextChange } from '../../kubeconfig/kubeconfig-edit.js';

export class ConfigSetContextCommand extends KubeconfigCommand {
  static override paths = [['config', 'set-context']];
  static override usage = Command.Usage({
    description: 'Set a context entry in the kubeconfig',
    details: `
      Creates the context NAME, or modifies it, with a cluster and a user named after it: \`--server\` and the TLS flags
      go to its cluster, \`--token\` to its user, \`--namespace\` to the context (the default namespace of commands run
      in it). \`--certificate-authority\` embeds the CA file's content, so the file works when copied elsewhere.
      \`--current\` modifies the current context instead of naming one, as with kubectl.

      \`--from-daemon\` records the local daemon (of \`--home\`): its TCP address, CA and owner token from
      \`daemon.json\` when it listens on TCP (\`sidekick daemon start --listen 127.0.0.1:7443\`), else its Unix socket as
      \`unix://PATH\`. kubectl cannot use a \`unix://\` context; the sidekick CLI can.

      The file is written atomically with mode 0600 (it holds tokens) and kubectl reads it:
      \`kubectl --kubeconfig ~/.sidekick/kubeconfig --context NAME get runs\`.
    `,
    examples: [
      ['A context for the team control plane', 'sidekick config set-context team --server https://sidekick.example.com:8443 --token "$TOKEN" --certificate-authority ca.crt'],
      ['The local daemon (what bare `sidekick config` used to write)', 'sidekick config set-context sidekick --from-daemon && sidekick config use-context sidekick'],
      ['Change the namespace of the current context', 'sidekick config set-context --current --namespace team-a'],
    ],
  });

  server = Option.String('--server', { description: 'The server URL: https://host:port (or unix:///path/to/sidekick.sock)' });
  token = Option.String('--token', { description: 'Bearer token of the user' });
  certificateAuthority = Option.String('--certificate-authority', { description: 'PEM CA file to embed in the cluster' });
  insecureSkipTlsVerify = Option.Boolean('--insecure-skip-tls-verify', { description: 'Do not verify the server certificate' });
  namespaceFlag = Option.String('-n,--namespace', { description: 'Default namespace of the context' });
  current = Option.Boolean('--current', false, { description: 'Modify the current context' });
  fromDaemon = Option.Boolean('--from-daemon', false, { description: 'Take server, CA and token from the local daemon of the home' });
  name = Option.String({ name: 'NAME', required: false });

  async execute(): Promise<number> {
    if (this.name && this.current) throw new UsageError('you cannot specify both a context name and --current');
    if (this.fromDaemon && (this.server !== undefined || this.token !== undefined)) throw new UsageError('--from-daemon takes the server and token from the daemon: drop --server and --token');
    const location = await this.location();
    const config = await this.load(location);
    const name = this.current ? config['current-context'] : this.name;
    if (!name) throw new UsageError(this.current ? 'current-context is not set' : 'you must specify a non-empty context name or --current');
    const change: ContextChange = this.fromDaemon ? await this.daemonChange() : {};
    if (this.server !== undefined) change.server = this.server;
    if (this.token !== undefined) change.token = this.token;
    if (this.certificateAuthority !== undefined) change.certificateAuthority = await this.readCa(this.certificateAuthority);
    if (this.insecureSkipTlsVerify !== undefined) change.insecureSkipTlsVerify = this.insecureSkipTlsVerify;
    if (this.namespaceFlag !== undefined) change.namespace = this.namespaceFlag;
    if (change.server !== undefined) validateServer(change.server);
    const { setContext } = await import('../../kubeconfig/kubeconfig-edit.js');
    const outcome = setContext(config, name, change);
    await this.save(location, config);
    this.out(`Context "${name}" ${outcome}.`);
    return 0;
  }

  /** The local daemon's endpoint: TCP (with its CA) when it listens there, else its socket; the owner token either way. */
  private async daemonChange(): Promise<ContextChange> {
    const { sidekickHome } = await import('../../../api/home.js');
    const { ownerToken } = await import('../../../api/client/connection.js');
    const { readDaemonInfo } = await import('../../daemon/process-info.js');
    const paths = sidekickHome(this.home ? resolve(this.context.cwd, this.home) : undefined, this.context.env);
    const token = ownerToken(paths);
    if (!token) throw new UsageError(`no token at ${paths.token}; is the daemon started on this home? (sidekick daemon start)`);
    const info = await readDaemonInfo(paths);
    if (!info.tcp) return { server: `unix://${paths.socket}`, token };
    return { server: info.tcp, token, ...(info.ca ? { certificateAuthority: await this.readCa(info.ca) } : {}) };
  }

  private async readCa(file: string): Promise<string> {
    const { readFile } = await import('node:fs/promises');
    try {
      return await readFile(resolve(this.context.cwd, file), 'utf8');
    } catch (err) {
      throw new UsageError(`--certificate-authority ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
}

/** A server must be an http(s) or unix URL: anything else would fail on every later command instead of here. */
function validateServer(server: string): void {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new UsageError(`--server ${server}: not a URL (https://host:port or unix:///path/to/socket)`);
  }
  if (!['https:', 'http:', 'unix:'].includes(url.protocol)) throw new UsageError(`--server ${server}: the scheme must be https, http or unix`);
}
