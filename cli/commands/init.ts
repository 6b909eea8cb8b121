/** `sidekick init`: sets up the repository you are in — manifests to commit, applied, daemon running. */
import { Command, Option, UsageError } from 'clipanion';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import * as t from 'typanion';
import { ApiCommand } from '../base-command.js';
import type { InitPlan } from '../init/manifests.js';
import type { Manifest } from '../apply/manifests.js';

export class InitCommand extends ApiCommand {
  static override paths = [['init']];
  static override usage = Command.Usage({
    description: 'Set up Sidekicks for the git repository you are in',
    details: `
      Run inside a git checkout (any subdirectory). Writes a Session, a RepoMount for the repository (mode Worktree,
      \`spec.path\` relative to the folder so the files are portable) and an Agent into \`.sidekick/\` at the
      repository root, as YAML to commit; starts the daemon if it does not run; and applies the folder as
      \`sidekick apply -f .sidekick/\` would. The session's defaults name the agent and the mount, so
      \`sidekick run "..."\` in this checkout needs nothing else.

      The agent is the first of: the \`claude\` CLI on PATH, the \`codex\` CLI on PATH, an OpenAI-compatible endpoint
      (\`OPENAI_BASE_URL\` / \`OPENAI_API_KEY\`; the key is read from the daemon's environment, never written), a local
      Ollama with a model installed, and otherwise a Scripted demo agent that needs no model: it lists the files,
      reads one and writes SIDEKICK_NOTES.md. \`--agent-driver\` forces one.

      Running init again changes nothing: files already in the folder are kept as they are (edit them freely), and
      applying unchanged manifests reports "unchanged".
    `,
    examples: [
      ['Set up the repository you are in', 'sidekick init'],
      ['Use the Scripted demo agent even when a model is available', 'sidekick init --agent-driver Scripted'],
      ['See what would be written and applied', 'sidekick init --dry-run'],
    ],
  });

  agentDriver = Option.String('--agent-driver', {
    description: 'Scripted, Claude, Codex or OpenAI: the agent to set up instead of the first one found',
    validator: t.isEnum(['Scripted', 'Claude', 'Codex', 'OpenAI'] as const),
  });
  dir = Option.String('--dir', { description: 'Folder for the manifests (default: .sidekick/ at the repository root)' });
  dryRun = Option.Boolean('--dry-run', false, { description: 'Print the manifests and what would be done; write, start and apply nothing' });

  async execute(): Promise<number> {
    const { findRepository, NotARepositoryError } = await import('../init/repository.js');
    const { chooseAgent } = await import('../init/detect-agent.js');
    const { planInit, initBaseName } = await import('../init/manifests.js');
    const { namesFor } = await import('../init/existing.js');
    let repo;
    try {
      repo = await findRepository(this.context.cwd, this.context.env);
    } catch (err) {
      if (err instanceof NotARepositoryError) throw new UsageError(err.message);
      throw err;
    }
    this.root = repo.root;
    const dir = this.dir ? resolve(this.context.cwd, this.dir) : resolve(repo.root, '.sidekick');
    const choice = await chooseAgent(repo, this.context.env, this.agentDriver);
    // The daemon first (a dry run only asks one that runs already): the names depend on what it has.
    const serving = this.dryRun ? await this.daemonAnswers() : (await this.ensureDaemon(), true);
    const names = serving ? await namesFor(this.client(), this.namespace, repo.root, initBaseName(repo)) : undefined;
    const plan = await planInit(repo, dir, choice, names);
    // Everything is checked before anything is written: a bad kept file stops init here.
    const manifests = await this.parsePlan(plan);
    await this.validate(manifests);

    if (this.dryRun) return this.printDryRun(plan);
    const { writeInitFiles } = await import('../init/manifests.js');
    await writeInitFiles(dir, plan.files);
    const written = plan.files.filter((f) => !f.kept).map((f) => this.shown(f.path));
    if (written.length > 0) this.out(`✓ wrote ${written.join(', ')} (commit them to share this setup)`);
    for (const f of plan.files.filter((file) => file.kept)) this.out(`✓ kept ${this.shown(f.path)} (already there; applied as it is)`);
    if (!repo.hasCommit) this.out('! the repository has no commit yet: a run starts its worktree from a commit, so commit something first');
    const code = await this.apply(manifests, plan, choice.reason);
    if (code === 0) this.out(`Next: sidekick run "fix the failing test"   · sidekick get runs · sidekick logs run/NAME -f · sidekick merge run/NAME`);
    return code;
  }

  /** The plan's files read as `apply -f` reads them (relative mount path resolved against the folder). */
  private async parsePlan(plan: InitPlan): Promise<Manifest[]> {
    const { parseInto } = await import('../apply/manifests.js');
    const set = { manifests: [] as Manifest[], errors: [] as string[] };
    for (const f of plan.files) await parseInto(set, this.shown(f.path), f.text, dirname(f.path));
    if (set.errors.length > 0) throw new UsageError(set.errors[0]!);
    return set.manifests;
  }

  /** Schema validation with the local scheme, as `apply --dry-run=client`: no daemon needed. */
  private async validate(manifests: Manifest[]): Promise<void> {
    const { scheme } = await import('../../resources/index.js');
    const validation = await import('../../resources/validation.js');
    for (const { source, object } of manifests) {
      const def = scheme.byKind(object.apiVersion, object.kind);
      if (!def) throw new UsageError(`${source}: no kind ${object.kind} in ${object.apiVersion}`);
      const unknown = validation.findUnknownFields(def, object);
      if (unknown.length > 0) throw new UsageError(`${source}: unknown field "${unknown[0]}"`);
      const defaulted = validation.applyDefaults(def, object);
      const errors = [...validation.validateMetadata(def, defaulted), ...validation.validateObject(def, defaulted)];
      if (errors.length > 0) throw new UsageError(`${source}: ${errors[0]!.field}: ${errors[0]!.message}`);
    }
  }

  private printDryRun(plan: InitPlan): number {
    for (const f of plan.files) {
      this.out(f.kept ? `# ${this.shown(f.path)} (kept: already there)` : `# ${this.shown(f.path)} (would be written)`);
      this.out(f.text.trimEnd());
      this.out('---');
    }
    this.out('(dry run: nothing written, started or applied)');
    return 0;
  }

  /** True when requests go to a server or kubeconfig context rather than this home's daemon socket. */
  private talksToAnotherServer(): boolean {
    return Boolean(this.server || this.context.env.SIDEKICK_SERVER) || this.connection().context !== undefined;
  }

  /** Whether the API answers (the local daemon, or --server), without starting anything. */
  private async daemonAnswers(): Promise<boolean> {
    if (this.talksToAnotherServer()) return true;
    const { sidekickHome } = await import('../../api/home.js');
    const { socketAnswers } = await import('../daemon/process-info.js');
    return socketAnswers(sidekickHome(this.home ? resolve(this.context.cwd, this.home) : undefined, this.context.env));
  }

  /** Starts the local daemon unless the CLI talks to another server. */
  private async ensureDaemon(): Promise<void> {
    if (this.talksToAnotherServer()) return;
    const { sidekickHome } = await import('../../api/home.js');
    const { ensureDaemonRunning, DaemonLifecycleError } = await import('../daemon/lifecycle.js');
    const paths = sidekickHome(this.home ? resolve(this.context.cwd, this.home) : undefined, this.context.env);
    try {
      const daemon = await ensureDaemonRunning(paths, {}, { env: this.context.env, timeoutMs: 30_000, timeoutText: '30s' });
      this.out(`✓ daemon ${daemon.started ? 'started' : 'running'} (home ${this.tilde(paths.root)}${daemon.pid ? `, pid ${daemon.pid}` : ''})`);
    } catch (err) {
      if (err instanceof DaemonLifecycleError) throw new UsageError(err.message);
      throw err;
    }
  }

  /** Applies the folder's objects like `sidekick apply -f` (client-side, last-applied kept), session first. */
  private async apply(manifests: Manifest[], plan: InitPlan, reason: string): Promise<number> {
    const { applyManifest } = await import('../apply/applier.js');
    const { formatError } = await import('../errors.js');
    let code = 0;
    for (const m of manifests) {
      try {
        const result = await applyManifest(m, {
          client: this.client(),
          resolver: this.resolver(),
          namespaceFlag: this.namespaceFlag,
          defaultNamespace: this.namespace,
          dryRun: 'none',
          serverSide: false,
          forceConflicts: false,
          fieldValidation: 'Strict',
        });
        const chosen = m.object.kind === 'Agent' && plan.agentChosen && result.operation !== 'unchanged';
        this.out(chosen ? `${result.line}   (${reason})` : result.line);
      } catch (err) {
        this.err(formatError(err));
        code = 1;
      }
    }
    return code;
  }

  /** The repository root, once found: paths are shown relative to it. */
  private root = '';

  /** A path as the output shows it: relative to the repository root (as the user commits it), else absolute. */
  private shown(path: string): string {
    const rel = relative(this.root || this.context.cwd, path);
    return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? path : rel;
  }

  private tilde(path: string): string {
    const home = this.context.env.HOME;
    return home && (path === home || path.startsWith(`${home}/`)) ? `~${path.slice(home.length)}` : path;
  }
}
