/**
 * Base classes of every command: error capture (so runCli prints kubectl-style messages and picks
 * the exit code) and, for commands that talk to the API, the global connection flags, a lazily
 * built ApiClient and the resource resolver.
 */
import { Command, Option, UsageError } from 'clipanion';
import { resolve } from 'node:path';
import type { CliContext } from './context.js';
import { ApiClient } from '../api/client/client.js';
import { InsecureTokenError, KubeconfigError, resolveConnection, type ResolvedConnection } from '../api/client/connection.js';
import { ResourceResolver } from './resource-resolver.js';
import type { TargetQuery } from './object-targets.js';

/** A command whose failure is captured for runCli instead of being printed by clipanion. */
export abstract class SidekickCommand extends Command<CliContext> {
  /** The error execute() threw, read by runCli. */
  failure?: unknown;
  /**
   * The arguments as help's usage line shows them, for commands whose arguments clipanion cannot
   * name (an Option.Rest); others show their named positionals.
   */
  static synopsis?: string;
  private readonly cleanups: (() => void)[] = [];

  override async catch(error: unknown): Promise<void> {
    this.failure = error;
  }

  /** Registers work to do when the command ends (closing clients, watchers). */
  protected onCleanup(fn: () => void): void {
    this.cleanups.push(fn);
  }

  /** Runs the registered cleanups; called by runCli after execute. */
  cleanup(): void {
    for (const fn of this.cleanups.splice(0)) fn();
  }

  /** Writes one line to stdout. */
  protected out(line: string): void {
    this.context.stdout.write(`${line}\n`);
  }

  /** Writes one line to stderr. */
  protected err(line: string): void {
    this.context.stderr.write(`${line}\n`);
  }
}

/** A command that talks to the API: `-n`, `--server`, `--token`, `--context`, `--kubeconfig`, `--home`. */
export abstract class ApiCommand extends SidekickCommand {
  namespaceFlag = Option.String('-n,--namespace', { description: 'The namespace scope for this request (default: default)' });
  server = Option.String('--server,-s', { description: 'The address of the API server (default: the local daemon socket)' });
  token = Option.String('--token', { description: 'Bearer token for authentication to the API server' });
  home = Option.String('--home', { description: 'Sidekick home directory (default: $SIDEKICK_HOME or ~/.sidekick)' });
  certificateAuthority = Option.String('--certificate-authority', { description: 'PEM CA file for an https server' });
  insecureSkipTlsVerify = Option.Boolean('--insecure-skip-tls-verify', false, { description: 'Do not verify the https server certificate' });
  contextName = Option.String('--context', { description: 'The kubeconfig context to use (default: $SIDEKICK_CONTEXT, else the current-context)' });
  kubeconfig = Option.String('--kubeconfig', { description: 'Path to the kubeconfig file (default: $SIDEKICK_KUBECONFIG, else kubeconfig in the home)' });

  private contextNamespaceCache?: { value: string | undefined };
  private apiClient?: ApiClient;
  private resourceResolver?: ResourceResolver;

  /** The namespace requests default to: `-n`, `$SIDEKICK_NAMESPACE`, the kubeconfig context's, else `default`. */
  get namespace(): string {
    return this.namespaceFlag || this.context.env.SIDEKICK_NAMESPACE || this.contextNamespace() || 'default';
  }

  /** True when the user chose the namespace (`-n`, `$SIDEKICK_NAMESPACE` or the context's) rather than falling back to `default`. */
  get namespaceChosen(): boolean {
    return this.namespaceFlag !== undefined || Boolean(this.context.env.SIDEKICK_NAMESPACE) || this.contextNamespace() !== undefined;
  }

  /** The namespace of the kubeconfig context requests go to, if they go to one that has one (looked up once). */
  private contextNamespace(): string | undefined {
    this.contextNamespaceCache ??= { value: this.connection().context?.namespace };
    return this.contextNamespaceCache.value;
  }

  /**
   * Where requests go (flags, variables, kubeconfig context, home socket), resolved anew on each
   * call: `init` asks before it starts the daemon, whose owner token appears only then. A bad
   * kubeconfig or an unknown context is a usage mistake: one line, exit 1.
   */
  connection(): ResolvedConnection {
    const flags = { server: this.server, token: this.token, home: this.home, certificateAuthority: this.certificateAuthority, insecureSkipTlsVerify: this.insecureSkipTlsVerify, context: this.contextName, kubeconfig: this.kubeconfig ? resolve(this.context.cwd, this.kubeconfig) : undefined };
    try {
      return resolveConnection(flags, this.context.env);
    } catch (err) {
      if (err instanceof KubeconfigError) throw new UsageError(err.message);
      throw err;
    }
  }

  /**
   * The client for the resolved endpoint, built on first use. Server warnings (unknown fields
   * with `--validate=warn`, deprecations) are printed as kubectl prints them.
   */
  client(): ApiClient {
    if (!this.apiClient) {
      const client = this.newClient();
      this.apiClient = client;
      this.onCleanup(() => client.close());
    }
    return this.apiClient;
  }

  private newClient(): ApiClient {
    const connection = this.connection();
    try {
      return new ApiClient(connection, { onWarning: (text) => this.err(`Warning: ${text}`) });
    } catch (err) {
      // A refused endpoint is a usage mistake: one line, exit 1, nothing sent.
      if (err instanceof InsecureTokenError) throw new UsageError(err.message);
      throw err;
    }
  }

  /** Maps type names to REST resources through discovery. */
  resolver(): ResourceResolver {
    this.resourceResolver ??= new ResourceResolver(this.client());
    return this.resourceResolver;
  }

  /**
   * What expandTargets needs to find the objects `args` (and `selection`: `-f`, `-l`, `--all`,
   * `-A`...) point at, with this command's client, resolver, working directory and namespace.
   */
  protected targetQuery(args: string[], selection: Omit<TargetQuery, 'client' | 'resolver' | 'args' | 'cwd' | 'namespace' | 'namespaceFlag'>): TargetQuery {
    return { client: this.client(), resolver: this.resolver(), args, cwd: this.context.cwd, namespace: this.namespace, namespaceFlag: this.namespaceFlag, ...selection };
  }
}
