/**
 * Registers the Channel controller: a channel wakes on a new spec, a new post (its last-message
 * annotation), deletion or a resync; a turn's run that changes phase or goes wakes its channel (by
 * its channel label and its `spec.channel`); an agent that appears, changes availability or goes
 * wakes the channels it speaks in; a session that is archived wakes its channels.
 */
import type { Agent } from '../../resources/kinds/agent.js';
import type { Channel } from '../../resources/kinds/channel.js';
import type { Run } from '../../resources/kinds/run.js';
import type { Session } from '../../resources/kinds/session.js';
import type { ControllerContext } from '../context.js';
import type { Controller } from '../runtime/controller.js';
import { controllerFor, type Change } from '../runtime/builder.js';
import { objectKey } from '../runtime/informer.js';
import { CHANNEL_LABEL, ChannelReconciler } from './reconciler.js';

/** Whether an object's phase changed, or it started going, or went (an add counts as a change). */
function phaseOrGoing<T extends Agent | Run | Session>(c: Change<T>): boolean {
  if (c.type !== 'update') return true;
  return c.old.status?.phase !== c.obj.status?.phase || (!c.old.metadata.deletionTimestamp && !!c.obj.metadata.deletionTimestamp);
}

export function registerChannelController(c: Pick<ControllerContext, 'store' | 'journal' | 'informers' | 'log'>): Controller {
  const channels = c.informers.of<Channel>('channels');
  const existing = (ns: string, names: (string | undefined)[]): string[] => [...new Set(names)].filter((n): n is string => !!n && !!channels.get(`${ns}/${n}`)).map((n) => `${ns}/${n}`);
  return controllerFor<Channel>('Channel', 'channels', c.informers, c.log)
    // Not on its own status writes.
    .when((ch) => {
      if (ch.type === 'add') return true;
      if (ch.type === 'delete') return false;
      const { old, obj } = ch;
      const poked = JSON.stringify(old.metadata.annotations ?? {}) !== JSON.stringify(obj.metadata.annotations ?? {});
      return old === obj || poked || old.metadata.generation !== obj.metadata.generation || (!old.metadata.deletionTimestamp && !!obj.metadata.deletionTimestamp);
    })
    .watches<Run>('runs', (ch) => (phaseOrGoing(ch) ? existing(ch.obj.metadata.namespace!, [ch.obj.metadata.labels?.[CHANNEL_LABEL], ch.obj.spec.channel]) : []))
    .watches<Agent>('agents', (ch) =>
      phaseOrGoing(ch) ? channels.list((x) => x.metadata.namespace === ch.obj.metadata.namespace && (x.spec.agents ?? []).includes(ch.obj.metadata.name!)).map(objectKey) : [],
    )
    .watches<Session>('sessions', (ch) => {
      const changed = ch.type !== 'update' || ch.old.status?.phase !== ch.obj.status?.phase || ch.old.metadata.generation !== ch.obj.metadata.generation;
      return changed ? channels.list((x) => x.metadata.namespace === ch.obj.metadata.namespace && x.spec.session === ch.obj.metadata.name).map(objectKey) : [];
    })
    .reconcile(new ChannelReconciler({ store: c.store, journal: c.journal }));
}
