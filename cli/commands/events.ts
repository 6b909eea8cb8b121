/** `sidekick events`: list (and watch) Events, optionally for one object. */
import { Command, Option, UsageError } from 'clipanion';
import { ApiCommand } from '../base-command.js';
import { TabWriter, TABLE_LAYOUT } from '../printers/tabwriter.js';
import type { ResourceRef } from '../../api/client/types.js';
import type { CoreEvent } from '../describe/describer.js';

/** Core v1 events, where the recorder publishes them. */
export const CORE_EVENTS: ResourceRef = { group: '', version: 'v1', plural: 'events', kind: 'Event', namespaced: true };

type NamespacedEvent = CoreEvent & { metadata?: { namespace?: string; creationTimestamp?: string; resourceVersion?: string } };

export class EventsCommand extends ApiCommand {
  static override paths = [['events']];
  static override usage = Command.Usage({
    description: 'List events',
    details: `
      Prints Events (what controllers and the API server recorded about objects) oldest first, with LAST SEEN ages
      like \`3m (x5 over 10m)\` for repeated events. \`--for TYPE/NAME\` keeps the events of one object; \`-w\` keeps
      printing new ones.
    `,
    examples: [
      ['Events in the current namespace', 'sidekick events'],
      ['Events about one run, then new ones as they come', 'sidekick events --for run/hello -w'],
      ['Only warnings, everywhere', 'sidekick events -A --types=Warning'],
    ],
  });

  forObject = Option.String('--for', { description: 'Only events about this object (TYPE/NAME)' });
  allNamespaces = Option.Boolean('-A,--all-namespaces', false, { description: 'Events of every namespace' });
  watch = Option.Boolean('-w,--watch', false, { description: 'After listing, watch for new events' });
  types = Option.Array('--types', [], { description: 'Only events of these types (Normal, Warning)' });
  noHeaders = Option.Boolean('--no-headers', false, { description: 'Do not print headers' });

  async execute(): Promise<number> {
    const { eventAge } = await import('../describe/describer.js');
    const { humanDuration } = await import('../printers/age.js');
    let kind: string | undefined;
    let name: string | undefined;
    if (this.forObject) {
      const slash = this.forObject.indexOf('/');
      if (slash <= 0) throw new UsageError(`--for must be in resource/name form, not "${this.forObject}"`);
      kind = (await this.resolver().resolve(this.forObject.slice(0, slash))).kind;
      name = this.forObject.slice(slash + 1);
    }
    const types = new Set(this.types.flatMap((t) => t.split(',')).map((t) => t.toLowerCase()));
    const keep = (e: NamespacedEvent): boolean =>
      (!kind || !e.involvedObject?.kind || e.involvedObject.kind === kind) && (types.size === 0 || types.has((e.type ?? '').toLowerCase()));
    const namespace = this.allNamespaces ? undefined : this.namespace;
    const fieldSelector = name ? `involvedObject.name=${name}` : undefined;
    const list = await this.client().list(CORE_EVENTS, { namespace, fieldSelector });
    const time = (e: NamespacedEvent): number => Date.parse(e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata?.creationTimestamp ?? '') || 0;
    const events = (list.items as unknown as NamespacedEvent[]).filter(keep).sort((a, b) => time(a) - time(b));
    const writer = new TabWriter({ ...TABLE_LAYOUT, rememberWidths: true });
    let headersDue = !this.noHeaders;
    const print = (batch: NamespacedEvent[]): void => {
      const now = Date.now();
      if (headersDue && batch.length) {
        writer.write(`${[...(this.allNamespaces ? ['NAMESPACE'] : []), 'LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE'].join('\t')}\n`);
        headersDue = false;
      }
      for (const e of batch) {
        const object = `${e.involvedObject?.kind ?? ''}/${e.involvedObject?.name ?? ''}`;
        const cells = [eventAge(e, now, humanDuration), e.type ?? '', e.reason ?? '', object, (e.message ?? '').trim().replace(/\n/g, ' ')];
        writer.write(`${(this.allNamespaces ? [e.metadata?.namespace ?? '', ...cells] : cells).join('\t')}\n`);
      }
      this.context.stdout.write(writer.flush());
    };
    if (events.length === 0 && !this.watch) {
      this.err(this.allNamespaces ? 'No events found.' : `No events found in ${this.namespace} namespace.`);
      return 0;
    }
    print(events);
    if (!this.watch) return 0;
    const stream = await this.client().watch(CORE_EVENTS, { namespace, fieldSelector, resourceVersion: list.metadata?.resourceVersion, signal: this.context.signal });
    for await (const ev of stream) {
      if (ev.type !== 'ADDED' && ev.type !== 'MODIFIED') continue;
      const e = ev.object as unknown as NamespacedEvent;
      if (keep(e)) print([e]);
    }
    return 0;
  }
}
