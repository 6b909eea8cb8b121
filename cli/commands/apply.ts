/** `sidekick apply`: create or update resources from manifests, client-side (three-way merge) or server-side. */
import { Command, Option, UsageError } from 'clipanion';
import { ApiCommand } from '../base-command.js';
import { formatError } from '../errors.js';
import type { ApplyOptions, ApplyResult, DryRun } from '../apply/applier.js';
import type { Manifest } from '../apply/manifests.js';
import { parseDryRun } from '../apply/dry-run.js';

/** How the server treats fields the schema does not declare (its `fieldValidation` parameter). */
export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

/**
 * Parses `--validate` like kubectl: strict (the default; also a bare flag or `true`) refuses
 * unknown fields, warn prints them and drops them, ignore (or `false`) drops them silently.
 */
export function parseValidate(value: string | boolean | undefined): FieldValidation {
  if (value === undefined || value === true) return 'Strict';
  if (value === false) return 'Ignore';
  switch (value.toLowerCase()) {
    case 'strict':
    case 'true':
      return 'Strict';
    case 'warn':
      return 'Warn';
    case 'ignore':
    case 'false':
      return 'Ignore';
  }
  throw new UsageError(`invalid - validate option "${value}"; must be one of: strict (or true), warn, ignore (or false)`);
}

export class ApplyCommand extends ApiCommand {
  static override paths = [['apply']];
  static override usage = Command.Usage({
    description: 'Apply a configuration to a resource by file name or stdin',
    details: `
      Creates resources that do not exist and updates those that do, so that running it again with the same manifests
      changes nothing. Files, directories (\`-R\` to recurse) and stdin (\`-f -\`) are accepted, with several YAML
      documents per file.

      By default apply is client-side, like kubectl for custom resources: the last applied manifest is kept in the
      \`kubectl.kubernetes.io/last-applied-configuration\` annotation and a three-way merge patch is sent, so a field
      removed from the manifest is removed from the object. \`--server-side\` sends the manifest to the server, which
      records field ownership per manager and refuses to take fields another manager owns unless \`--force-conflicts\`.

      \`--prune -l SELECTOR\` deletes objects with that label which an earlier apply created and which are no longer in
      the manifests. \`--atomic\` validates every document on the server first and applies nothing if one fails.
      \`--watch\` applies again whenever a file under \`-f\` changes.

      Fields the schema does not declare are refused by default (\`--validate=strict\`, as kubectl): a misspelled
      field would otherwise be dropped and the object mean something else than the file says. \`--validate=warn\`
      applies without them and prints a warning for each; \`--validate=ignore\` drops them silently.
    `,
    examples: [
      ['Apply a file', 'sidekick apply -f run.yaml'],
      ['Apply a directory tree and prune what was removed', 'sidekick apply -R -f manifests/ --prune -l managed-by=gitops'],
      ['See what the server would do without storing anything', 'sidekick apply -f run.yaml --dry-run=server'],
      ['Server-side apply as a named manager', 'sidekick apply --server-side --field-manager=ci -f run.yaml'],
      ['Apply from stdin', 'cat run.yaml | sidekick apply -f -'],
      ['Apply, dropping fields the server does not know with a warning', 'sidekick apply -f old-run.yaml --validate=warn'],
    ],
  });

  filenames = Option.Array('-f,--filename', [], { description: 'Files, directories or - (stdin) with the manifests to apply' });
  recursive = Option.Boolean('-R,--recursive', false, { description: 'Process directories recursively' });
  dryRun = Option.String('--dry-run', { tolerateBoolean: true, description: 'none, client or server: only print what would be done' });
  serverSide = Option.Boolean('--server-side', false, { description: 'Apply on the server (field ownership in metadata.managedFields)' });
  forceConflicts = Option.Boolean('--force-conflicts', false, { description: 'With --server-side, take fields owned by other managers' });
  fieldManager = Option.String('--field-manager', { description: 'Name of the manager recording field ownership' });
  prune = Option.Boolean('--prune', false, { description: 'Delete previously applied objects that are missing from the manifests (needs -l or --all)' });
  selector = Option.String('-l,--selector', { description: 'Only apply (and prune) objects matching this label selector' });
  all = Option.Boolean('--all', false, { description: 'With --prune, consider every previously applied object' });
  atomic = Option.Boolean('--atomic', false, { description: 'Validate every document on the server first; apply nothing if any fails' });
  watchFiles = Option.Boolean('-w,--watch', false, { description: 'Apply again whenever a file under -f changes' });
  validate = Option.String('--validate', { tolerateBoolean: true, description: 'strict (default), warn or ignore: what to do with fields the schema does not declare' });

  async execute(): Promise<number> {
    if (this.filenames.length === 0) throw new UsageError('must specify one of -f and -k');
    const dryRun = parseDryRun(this.dryRun);
    const fieldValidation = parseValidate(this.validate);
    if (this.prune && !this.selector && !this.all) {
      throw new UsageError('all resources selected for prune without explicitly passing --all. To prune all resources, pass the --all flag. If you did not mean to prune all resources, specify a label selector');
    }
    if (this.forceConflicts && !this.serverSide) throw new UsageError('--force-conflicts only works with --server-side');
    const code = await this.applyOnce(dryRun, fieldValidation);
    if (!this.watchFiles) return code;
    await this.watchAndApply(dryRun, fieldValidation);
    return code;
  }

  private options(dryRun: DryRun, fieldValidation: FieldValidation): ApplyOptions {
    return {
      client: this.client(),
      resolver: this.resolver(),
      namespaceFlag: this.namespaceFlag,
      defaultNamespace: this.namespace,
      dryRun,
      serverSide: this.serverSide,
      forceConflicts: this.forceConflicts,
      fieldManager: this.fieldManager,
      fieldValidation,
    };
  }

  /** One pass over every manifest; returns the exit code. */
  private async applyOnce(dryRun: DryRun, fieldValidation: FieldValidation): Promise<number> {
    const { readManifests } = await import('../apply/manifests.js');
    const { applyManifest } = await import('../apply/applier.js');
    let set;
    try {
      set = await readManifests(this.filenames, { cwd: this.context.cwd, recursive: this.recursive, stdin: this.context.stdin });
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const errors = set.errors.map((e) => `error: ${e}`);
    const manifests = await this.selected(set.manifests);
    // An empty file is almost always a mistake (a wrong path, a failed template): say so, as kubectl does.
    if (manifests.length === 0 && errors.length === 0) throw new UsageError('no objects passed to apply');

    if (this.atomic) {
      const failures = [...errors];
      for (const m of manifests) {
        try {
          await applyManifest(m, this.options(dryRun === 'client' ? 'client' : 'server', fieldValidation));
        } catch (err) {
          failures.push(formatError(err));
        }
      }
      if (failures.length > 0) {
        for (const f of failures) this.err(f);
        this.err(`error: --atomic: nothing applied, ${failures.length} of ${manifests.length + set.errors.length} documents failed validation`);
        return 1;
      }
    }

    const results: ApplyResult[] = [];
    for (const m of manifests) {
      try {
        const result = await applyManifest(m, this.options(dryRun, fieldValidation));
        results.push(result);
        this.out(result.line);
      } catch (err) {
        errors.push(formatError(err));
      }
    }
    if (this.prune && (errors.length === 0 || results.length > 0)) {
      const { prune } = await import('../apply/prune.js');
      const namespaces = [...new Set(results.map((r) => r.namespace).filter((n): n is string => !!n))];
      const lines = await prune({
        client: this.client(),
        resolver: this.resolver(),
        selector: this.selector,
        namespaces: namespaces.length ? namespaces : [this.namespace],
        applied: results,
        dryRun,
      });
      for (const line of lines) this.out(line);
    }
    for (const e of errors) this.err(e);
    return errors.length > 0 ? 1 : 0;
  }

  /** Keeps the manifests matching `-l`, as kubectl filters what it applies. */
  private async selected(manifests: Manifest[]): Promise<Manifest[]> {
    if (!this.selector) return manifests;
    const { parseLabelSelector, matchesLabels } = await import('../../resources/selectors.js');
    let sel;
    try {
      sel = parseLabelSelector(this.selector);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    return manifests.filter((m) => matchesLabels(sel, m.object.metadata?.labels));
  }

  /** `--watch`: re-applies on every change under the -f paths until interrupted. */
  private async watchAndApply(dryRun: DryRun, fieldValidation: FieldValidation): Promise<void> {
    const { watch } = await import('chokidar');
    const { resolve } = await import('node:path');
    const paths = this.filenames.filter((f) => f !== '-').map((f) => resolve(this.context.cwd, f));
    const watcher = watch(paths, { ignoreInitial: true, awaitWriteFinish: { stabilityThreshold: 50, pollInterval: 10 } });
    this.onCleanup(() => void watcher.close());
    let running = Promise.resolve();
    let queued = false;
    const trigger = (): void => {
      if (queued) return;
      queued = true;
      // Serialize passes: a burst of saves becomes one more apply after the running one.
      running = running.then(async () => {
        queued = false;
        await this.applyOnce(dryRun, fieldValidation).catch((err: unknown) => this.err(formatError(err)));
      });
    };
    watcher.on('all', trigger);
    await new Promise<void>((resolveReady) => watcher.on('ready', () => resolveReady()));
    this.err(`watching ${paths.join(', ')} for changes (Ctrl-C to stop)`);
    await new Promise<void>((resolveDone) => {
      if (this.context.signal.aborted) return resolveDone();
      this.context.signal.addEventListener('abort', () => resolveDone(), { once: true });
    });
    await running;
    await watcher.close();
  }
}
