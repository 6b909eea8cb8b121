/**
 * The shared engine of `label` and `annotate`: parse `key=value` / `key-` changes, refuse to
 * overwrite without `--overwrite`, and send one merge patch per object.
 */
import { Option, UsageError } from 'clipanion';
import { ApiCommand } from './base-command.js';
import { ExitCodeError, formatError } from './errors.js';
import { kindGroup } from './resource-resolver.js';
import { parseDryRun } from './apply/dry-run.js';

/** A change to a label or annotation map: a value to set, or null to remove. */
export type MapChanges = Record<string, string | null>;

/** Splits arguments into resource arguments and `k=v` / `k-` changes. */
export function splitChanges(args: string[], what: string): { resources: string[]; changes: MapChanges } {
  const resources: string[] = [];
  const changes: MapChanges = {};
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq > 0) changes[arg.slice(0, eq)] = arg.slice(eq + 1);
    else if (arg.endsWith('-') && arg.length > 1 && resources.length > 0) changes[arg.slice(0, -1)] = null;
    else if (Object.keys(changes).length > 0) throw new UsageError(`invalid ${what} spec: ${arg}`);
    else resources.push(arg);
  }
  return { resources, changes };
}

/** `label` and `annotate`, differing only in the metadata map they change and their words. */
export abstract class MetadataMapCommand extends ApiCommand {
  protected abstract readonly field: 'labels' | 'annotations';
  /** `labeled` / `annotated`. */
  protected abstract readonly verbed: string;
  /** `label` / `annotation`. */
  protected abstract readonly noun: string;

  overwrite = Option.Boolean('--overwrite', false, { description: 'Allow replacing existing values' });
  selector = Option.String('-l,--selector', { description: 'Label selector' });
  all = Option.Boolean('--all', false, { description: 'Every resource of the given types in the namespace' });
  allNamespaces = Option.Boolean('-A,--all-namespaces', false, { description: 'Across all namespaces' });
  filenames = Option.Array('-f,--filename', [], { description: 'Files identifying the resources' });
  dryRun = Option.String('--dry-run', { tolerateBoolean: true, description: 'none, client or server' });
  fieldManager = Option.String('--field-manager', { description: 'Name of the manager recording field ownership' });
  args = Option.Rest();

  async execute(): Promise<number> {
    const dryRun = parseDryRun(this.dryRun);
    const { resources, changes } = splitChanges(this.args, this.noun);
    if (Object.keys(changes).length === 0) throw new UsageError(`at least one ${this.noun} update is required`);
    const { expandTargets } = await import('./object-targets.js');
    const { targets } = await expandTargets(this.targetQuery(resources, { filenames: this.filenames, allNamespaces: this.allNamespaces, selector: this.selector, all: this.all }));
    const suffix = dryRun === 'client' ? ' (dry run)' : dryRun === 'server' ? ' (server dry run)' : '';
    let failed = 0;
    for (const t of targets) {
      try {
        const live = await this.client().get(t.ref, t.namespace, t.name);
        const current = live.metadata[this.field] ?? {};
        const patch: MapChanges = {};
        for (const [k, v] of Object.entries(changes)) {
          if (v !== null && k in current && current[k] !== v && !this.overwrite) {
            throw new UsageError(`'${k}' already has a value (${current[k]}), and --overwrite is false`);
          }
          if (v === null ? k in current : current[k] !== v) patch[k] = v;
        }
        const name = `${kindGroup(t.ref)}/${t.name}`;
        if (Object.keys(patch).length === 0) {
          this.out(`${name} not ${this.verbed}${suffix}`);
          continue;
        }
        if (dryRun !== 'client') {
          await this.client().patch(t.ref, t.namespace, t.name, 'merge', { metadata: { [this.field]: patch } }, { dryRun: dryRun === 'server', fieldManager: this.fieldManager });
        }
        this.out(`${name} ${this.verbed}${suffix}`);
      } catch (err) {
        this.err(formatError(err));
        failed++;
      }
    }
    if (failed) throw new ExitCodeError(1);
    return 0;
  }
}
