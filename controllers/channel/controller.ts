/**
 * Builds the Channel controller with its informer and the wiring it needs from the rest of the
 * world: a turn's run that changes phase or goes wakes its channel (by its channel label and its
 * `spec.channel`), an agent that appears, changes availability or goes wakes the channels it
 * speaks in, and a session that is archived wakes its channels. A person's post updates the
 * channel's last-message annotation, which wakes it through its own informer.
 */
import type { Store } from '../../api/store/store.js';
import type { Journal } from '../../api/journal/journal.js';
import type { Agent } from '../../resources/kinds/agent.js';
import type { Channel } from '../../resources/kinds/channel.js';
import type { Run } from '../../resources/kinds/run.js';
import type { Session } from '../../resources/kinds/session.js';
import { Controller } from '../runtime/controller.js';
import { Informer, objectKey } from '../runtime/informer.js';
import type { Runnable } from '../runtime/manager.js';
import { CHANNEL_LABEL, ChannelReconciler } from './reconciler.js';

export interface ChannelControllerOptions {
  store: Store;
  journal: Journal;
  /** The shared informers (this adds handlers to them; they run elsewhere). */
  runs: Informer<Run>;
  agents: Informer<Agent>;
  sessions: Informer<Session>;
  /** Informer resync period (default 5 min). */
  resyncMs?: number;
  log?: (line: string) => void;
}

export interface ChannelControllerSet {
  /** The channels informer and the controller, for the Manager. */
  runnables: Runnable[];
  controller: Controller;
  channels: Informer<Channel>;
}

/** The Channel controller, wired to the runs, agents and sessions informers; add `runnables` to the Manager. */
export function buildChannelController(o: ChannelControllerOptions): ChannelControllerSet {
  const log = o.log ?? (() => undefined);
  const channels = new Informer<Channel>(o.store, 'channels', { resyncMs: o.resyncMs ?? 300_000, log });
  const controller = new Controller(new ChannelReconciler({ store: o.store, journal: o.journal }), { name: 'channel-controller', workers: 2, log });
  const enqueue = (c: Channel): void => controller.enqueue(objectKey(c));

  channels.addHandlers({
    onAdd: enqueue,
    // Not on its own status writes: on a new spec, a new post (annotation), deletion or a resync.
    onUpdate: (old, c) => {
      const poked = JSON.stringify(old.metadata.annotations ?? {}) !== JSON.stringify(c.metadata.annotations ?? {});
      if (old === c || poked || old.metadata.generation !== c.metadata.generation || (!old.metadata.deletionTimestamp && c.metadata.deletionTimestamp)) enqueue(c);
    },
  });

  const wakeChannelOf = (r: Run): void => {
    const ns = r.metadata.namespace!;
    for (const name of new Set([r.metadata.labels?.[CHANNEL_LABEL], r.spec.channel])) {
      if (name && channels.get(`${ns}/${name}`)) controller.enqueue(`${ns}/${name}`);
    }
  };
  o.runs.addHandlers({
    onAdd: wakeChannelOf,
    onUpdate: (old, r) => {
      if (old.status?.phase !== r.status?.phase || (!old.metadata.deletionTimestamp && r.metadata.deletionTimestamp)) wakeChannelOf(r);
    },
    onDelete: wakeChannelOf,
  });

  const wakeChannelsWith = (a: Agent): void => {
    for (const c of channels.list((c) => c.metadata.namespace === a.metadata.namespace && (c.spec.agents ?? []).includes(a.metadata.name!))) enqueue(c);
  };
  o.agents.addHandlers({
    onAdd: wakeChannelsWith,
    onUpdate: (old, a) => {
      if (old.status?.phase !== a.status?.phase || (!old.metadata.deletionTimestamp && a.metadata.deletionTimestamp)) wakeChannelsWith(a);
    },
    onDelete: wakeChannelsWith,
  });

  const wakeChannelsOf = (s: Session): void => {
    for (const c of channels.list((c) => c.metadata.namespace === s.metadata.namespace && c.spec.session === s.metadata.name)) enqueue(c);
  };
  o.sessions.addHandlers({
    onAdd: wakeChannelsOf,
    onUpdate: (old, s) => {
      if (old.status?.phase !== s.status?.phase || old.metadata.generation !== s.metadata.generation) wakeChannelsOf(s);
    },
    onDelete: wakeChannelsOf,
  });

  return {
    runnables: [{ name: 'informer/channels', start: (signal) => channels.run(signal) }, controller],
    controller,
    channels,
  };
}
