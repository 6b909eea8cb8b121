/** `sidekick diff -f`: what apply would change, as a unified diff of live vs merged objects. Exit 0 same, 1 different, >1 error. */
import { Command, Option, UsageError } from 'clipanion';
import { ApiCommand } from '../base-command.js';
import { PrintedError, formatError, isStatusError } from '../errors.js';
import type { KubeObject } from '../../resources/meta.js';

export class DiffCommand extends ApiCommand {
  static override paths = [['diff']];
  static override usage = Command.Usage({
    description: 'Diff the live version against a would-be applied version',
    details: `
      For every manifest, the server computes what apply would store (a dry run: admission, defaults and validation
      included, nothing saved); the live and merged objects are written as YAML to two directories and compared with
      \`diff -u -N\` (or \`$SIDEKICK_EXTERNAL_DIFF\` / \`$KUBECTL_EXTERNAL_DIFF\`), or a built-in unified diff when no
      diff program is installed. Exit status: 0 no differences, 1 differences, greater than 1 on error.
    `,
    examples: [
      ['Preview a change', 'sidekick diff -f run.yaml'],
      ['Use it in a script', 'sidekick diff -f manifests/ -R >/dev/null; echo $?'],
    ],
  });

  filenames = Option.Array('-f,--filename', [], { description: 'Files or directories with the manifests' });
  recursive = Option.Boolean('-R,--recursive', false, { description: 'Process directories recursively' });
  serverSide = Option.Boolean('--server-side', false, { description: 'Compare against a server-side apply' });
  forceConflicts = Option.Boolean('--force-conflicts', false, { description: 'With --server-side, take conflicting fields' });
  fieldManager = Option.String('--field-manager', { description: 'Field manager name' });

  async execute(): Promise<number> {
    try {
      return await this.diff();
    } catch (err) {
      if (err instanceof PrintedError) throw new PrintedError(err.message, 2);
      throw new PrintedError(formatError(err), 2);
    }
  }

  private async diff(): Promise<number> {
    if (this.filenames.length === 0) throw new UsageError('must specify one of -f and -k');
    const { readManifests } = await import('../apply/manifests.js');
    const applier = await import('../apply/applier.js');
    const fs = await import('node:fs/promises');
    const path = await import('node:path');
    const os = await import('node:os');
    const { toYaml } = await import('../printers/output-format.js');
    const set = await readManifests(this.filenames, { cwd: this.context.cwd, recursive: this.recursive, stdin: this.context.stdin });
    if (set.errors.length) throw new UsageError(set.errors[0]);
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'sidekick-diff-'));
    const liveDir = path.join(root, 'LIVE');
    const mergedDir = path.join(root, 'MERGED');
    await fs.mkdir(liveDir);
    await fs.mkdir(mergedDir);
    try {
      for (const m of set.manifests) {
        const ref = await applier.mappingFor(this.resolver(), m);
        const ns = applier.namespaceFor(ref, m.object, { namespaceFlag: this.namespaceFlag, defaultNamespace: this.namespace });
        const name = m.object.metadata?.name ?? '';
        let live: KubeObject | undefined;
        try {
          live = await this.client().get(ref, ns, name);
        } catch (err) {
          if (!(isStatusError(err) && err.reason === 'NotFound')) throw err;
        }
        const merged = await this.dryRunApply(m, applier);
        const file = [ref.group, ref.version, ref.kind, ns, name].filter(Boolean).join('.');
        if (live) await fs.writeFile(path.join(liveDir, file), await toYaml(clean(live)));
        await fs.writeFile(path.join(mergedDir, file), await toYaml(clean(merged)));
      }
      return await this.compare(liveDir, mergedDir);
    } finally {
      await fs.rm(root, { recursive: true, force: true });
    }
  }

  /** The object the server would store: a dry-run create, merge patch or server-side apply. */
  private async dryRunApply(m: import('../apply/manifests.js').Manifest, applier: typeof import('../apply/applier.js')): Promise<KubeObject> {
    const ref = await applier.mappingFor(this.resolver(), m);
    const ns = applier.namespaceFor(ref, m.object, { namespaceFlag: this.namespaceFlag, defaultNamespace: this.namespace });
    const body: KubeObject = ns ? { ...m.object, metadata: { ...m.object.metadata, namespace: ns } } : m.object;
    const client = this.client();
    if (this.serverSide) return client.apply(ref, ns, body, { fieldManager: this.fieldManager ?? 'sidekick', force: this.forceConflicts, dryRun: true });
    const { withLastApplied, readLastApplied, threeWayMergePatch } = await import('../apply/three-way.js');
    const modified = withLastApplied(body);
    try {
      const live = await client.get(ref, ns, body.metadata.name ?? '');
      const patch = threeWayMergePatch(readLastApplied(live), modified as unknown as Record<string, unknown>, live);
      if (Object.keys(patch).length === 0) return live;
      return await client.patch(ref, ns, body.metadata.name ?? '', 'merge', patch, { dryRun: true, fieldManager: this.fieldManager ?? 'sidekick-client-side-apply' });
    } catch (err) {
      if (!(isStatusError(err) && err.reason === 'NotFound')) throw err;
      return client.create(ref, ns, modified, { dryRun: true });
    }
  }

  private async compare(liveDir: string, mergedDir: string): Promise<number> {
    const { spawn } = await import('node:child_process');
    const external = this.context.env.SIDEKICK_EXTERNAL_DIFF ?? this.context.env.KUBECTL_EXTERNAL_DIFF;
    const [program, ...flags] = external ? external.split(/\s+/) : ['diff', '-u', '-N'];
    const result = await new Promise<{ code: number | null; missing: boolean; out: string; err: string }>((resolve) => {
      const child = spawn(program, [...flags, liveDir, mergedDir], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('error', (e: NodeJS.ErrnoException) => resolve({ code: null, missing: e.code === 'ENOENT', out, err: e.message }));
      child.on('close', (code) => resolve({ code, missing: false, out, err }));
    });
    if (result.missing && !external) return this.builtinDiff(liveDir, mergedDir);
    if (result.code === null) throw new UsageError(`failed to run "${program}": ${result.err}`);
    this.context.stdout.write(result.out);
    if (result.code > 1) throw new PrintedError(`error: ${program} failed: ${result.err.trim()}`, result.code);
    return result.code;
  }

  private async builtinDiff(liveDir: string, mergedDir: string): Promise<number> {
    const fs = await import('node:fs/promises');
    const path = await import('node:path');
    const { unifiedDiff } = await import('../diff/unified-diff.js');
    const names = [...new Set([...(await fs.readdir(liveDir)), ...(await fs.readdir(mergedDir))])].sort();
    let differs = false;
    for (const name of names) {
      const read = (dir: string) => fs.readFile(path.join(dir, name), 'utf8').catch(() => '');
      const text = unifiedDiff(await read(liveDir), await read(mergedDir), path.join(liveDir, name), path.join(mergedDir, name));
      if (text) {
        differs = true;
        this.context.stdout.write(`diff -u -N ${path.join(liveDir, name)} ${path.join(mergedDir, name)}\n${text}`);
      }
    }
    return differs ? 1 : 0;
  }
}

/** Drops what only adds noise to a diff, as kubectl diff does (managed fields). */
function clean(obj: KubeObject): KubeObject {
  const copy = structuredClone(obj);
  delete copy.metadata.managedFields;
  return copy;
}
