/**
 * The Channel reconciler. The world of a channel is its session, its messages in the session
 * journal (`channel.message`) and the runs it started, one per agent turn, with derived names
 * (`<channel>-turn-<n>`): the journal says how many turns were taken, so the run of the next turn
 * is found by name, and a restarted daemon neither loses nor repeats a turn. Each pass: load →
 * observe → plan (pure, channel-plan.ts) → post the reply of an ended turn, or start the next
 * turn → report status.
 */
import { createHash } from 'node:crypto';
import type { Store } from '../../api/store/store.js';
import { sessionKey, type Journal } from '../../api/journal/journal.js';
import type { JournalEventInput } from '../../api/journal/event.js';
import { CHANNEL_MESSAGE, readChannelMessages, turnsTaken, type ChannelMessagePayload, type TurnOutcome } from '../../api/journal/channel-messages.js';
import { CREATED_BY } from '../../api/auth/model.js';
import type { Agent } from '../../resources/kinds/agent.js';
import type { Channel } from '../../resources/kinds/channel.js';
import type { Run } from '../../resources/kinds/run.js';
import type { KubeObject } from '../../resources/meta.js';
import type { Session } from '../../resources/kinds/session.js';
import { setCondition } from '../../resources/conditions.js';
import { NameLabel, nameLabels, nameLabelValue } from '../../resources/name-labels.js';
import type { ObjectKey, Reconciler, Result } from '../runtime/controller.js';
import { updateStatusIfChanged } from '../runtime/update-status.js';
import { createOrUpdate, WriteOutcome } from '../runtime/create-or-update.js';
import { planChannel, type ChannelPlan, type ChannelWorld, type SessionState, type Unavailability } from './channel-plan.js';
import { turnPrompt } from './transcript.js';

/** Label on a turn's run: the Channel (object name) that started it. */
export const CHANNEL_LABEL = NameLabel.Channel;
/** Label on a turn's run: its turn number. */
export const TURN_LABEL = 'sidekicks.dev/channel-turn';
/** Annotation on a turn's run: the sequence of the message the turn answers. */
export const REPLY_TO_ANNOTATION = 'sidekicks.dev/reply-to';

const controllerActor = { kind: 'controller', name: 'channel-controller' } as const;

/** The derived name of the run that takes turn `turn` of `channel` (at most 253 characters). */
export function turnRunName(channel: string, turn: number): string {
  const suffix = `-turn-${turn}`;
  if (channel.length + suffix.length <= 253) return `${channel}${suffix}`;
  const hash = createHash('sha256').update(channel).digest('hex').slice(0, 8);
  return `${channel.slice(0, 253 - suffix.length - hash.length - 1)}-${hash}${suffix}`;
}

/** What one pass observed. */
interface Observed {
  world: ChannelWorld;
  messages: number;
  /** The run of the next turn, when it exists. */
  run?: Run;
}

export class ChannelReconciler implements Reconciler {
  constructor(private readonly d: { store: Store; journal: Journal }) {}

  async reconcile(key: ObjectKey): Promise<Result> {
    const channel = await this.d.store.find<Channel>('channels', key.namespace, key.name);
    if (!channel || channel.metadata.deletionTimestamp) return {};
    const observed = await this.observe(channel);
    const plan = planChannel(observed.world);
    if (plan.action.type === 'post') {
      await this.postReply(channel, observed.run!, plan.turn + 1);
      // The conversation moved: look again at once (whose turn, a new status).
      return { requeueAfterMs: 0 };
    }
    if (plan.action.type === 'start' && !(await this.startTurn(channel, observed, plan.action))) return { requeueAfterMs: 0 };
    return this.reportStatus(channel, observed, plan);
  }

  private async observe(channel: Channel): Promise<Observed> {
    const ns = channel.metadata.namespace!;
    const name = channel.metadata.name!;
    const session = await this.d.store.find<Session>('sessions', ns, channel.spec.session);
    const messages = await readChannelMessages(this.d.journal, sessionKey(ns, channel.spec.session), name);
    const runName = turnRunName(name, turnsTaken(messages) + 1);
    const run = await this.d.store.find<Run>('runs', ns, runName);
    const agents = new Map<string, Agent | undefined>();
    for (const a of channel.spec.agents ?? []) agents.set(a, await this.d.store.find<Agent>('agents', ns, a));
    const world: ChannelWorld = {
      rules: channel.spec,
      sessionName: channel.spec.session,
      session: sessionState(session),
      messages,
      ...(run ? { current: { name: runName, agent: run.spec.agent, phase: run.status?.phase, ours: run.metadata.labels?.[CHANNEL_LABEL] === nameLabelValue(name) } } : {}),
      unavailable: (agent) => unavailability(agent, agents.get(agent)),
    };
    return { world, messages: messages.length, run };
  }

  /** Starts a turn: the run of that agent, its prompt carrying the conversation so far. False when the name was taken meanwhile. */
  private async startTurn(channel: Channel, observed: Observed, turn: { turn: number; agent: string; replyTo?: number }): Promise<boolean> {
    const ns = channel.metadata.namespace!;
    const name = channel.metadata.name!;
    const createdBy = channel.metadata.annotations?.[CREATED_BY];
    // As a person would write it: admission fills in the defaults (priority, suspend) on create.
    const run: KubeObject = {
      apiVersion: 'sidekicks.dev/v1alpha1',
      kind: 'Run',
      metadata: {
        name: turnRunName(name, turn.turn),
        namespace: ns,
        labels: { ...nameLabels({ [NameLabel.Channel]: name, [NameLabel.Session]: channel.spec.session }), [TURN_LABEL]: String(turn.turn) },
        annotations: {
          ...(turn.replyTo !== undefined ? { [REPLY_TO_ANNOTATION]: String(turn.replyTo) } : {}),
          // The turn belongs to whoever created the channel: they may steer or cancel it.
          ...(createdBy ? { [CREATED_BY]: createdBy } : {}),
        },
        ownerReferences: [{ apiVersion: channel.apiVersion, kind: 'Channel', name, uid: channel.metadata.uid!, controller: true, blockOwnerDeletion: true }],
      },
      spec: {
        session: channel.spec.session,
        agent: turn.agent,
        prompt: turnPrompt({
          channel: name,
          session: channel.spec.session,
          agent: turn.agent,
          agents: channel.spec.agents ?? [],
          turnPolicy: channel.spec.turnPolicy,
          topic: channel.spec.topic,
          messages: observed.world.messages,
          turn: turn.turn,
          maxTurns: channel.spec.maxTurns,
          replyTo: turn.replyTo,
        }),
        channel: name,
      },
    };
    return (await createOrUpdate(this.d.store, 'runs', run)).outcome === WriteOutcome.Created;
  }

  /**
   * Posts the outcome of an ended turn as the channel's next message: the agent's reply when the
   * run completed, a note from the channel when it failed or was interrupted. Never twice: the
   * run's own events say whether its message is already in the journal.
   */
  private async postReply(channel: Channel, run: Run, turn: number): Promise<void> {
    const ns = channel.metadata.namespace!;
    const key = sessionKey(ns, channel.spec.session);
    const runName = run.metadata.name!;
    const posted = await this.d.journal.read(key, { run: runName, types: [CHANNEL_MESSAGE], limit: 10_000 });
    if (posted.events.some((e) => (e.payload as { channel?: string }).channel === channel.metadata.name)) return;
    const outcome = run.status!.phase as TurnOutcome;
    const agent = run.spec.agent;
    const replyTo = Number(run.metadata.annotations?.[REPLY_TO_ANNOTATION]);
    const text = outcome === 'Completed' ? ((await this.replyOf(key, run)) ?? '(no reply)') : noteFor(run);
    const payload: ChannelMessagePayload = { channel: channel.metadata.name!, text, turn, agent, run: runName, ...(Number.isInteger(replyTo) ? { replyTo } : {}), outcome };
    const event: JournalEventInput = { type: CHANNEL_MESSAGE, actor: outcome === 'Completed' ? { kind: 'agent', name: agent } : controllerActor, run: runName, runUid: run.metadata.uid, payload: { ...payload } };
    await this.d.journal.append(key, [event]);
  }

  /** The agent's reply: the run's summary, else its last assistant message. */
  private async replyOf(key: string, run: Run): Promise<string | undefined> {
    if (run.status?.summary) return run.status.summary;
    let last: string | undefined;
    for (let after = 0; ; ) {
      const page = await this.d.journal.read(key, { after, limit: 10_000, run: run.metadata.name!, types: ['assistant.message'] });
      for (const e of page.events) if (typeof e.payload.text === 'string') last = e.payload.text;
      if (!page.hasMore) return last;
      after = page.next;
    }
  }

  private async reportStatus(channel: Channel, observed: Observed, plan: ChannelPlan): Promise<Result> {
    const generation = channel.metadata.generation ?? 1;
    const status: NonNullable<Channel['status']> = {
      phase: plan.phase,
      turn: plan.turn,
      ...(plan.nextSpeaker ? { nextSpeaker: plan.nextSpeaker } : {}),
      messages: observed.messages,
      observedGeneration: generation,
      conditions: setCondition(channel.status?.conditions, plan.ready, generation),
    };
    return (await updateStatusIfChanged(this.d.store, 'channels', channel, status, channel.status ?? {})) ?? {};
  }
}

function sessionState(session: Session | undefined): SessionState {
  if (!session || session.metadata.deletionTimestamp) return 'Missing';
  if (session.spec.archived || session.status?.phase === 'Archived' || session.status?.phase === 'Closed') return 'Archived';
  // Until the session controller observed it, the journal does not open with session.created.
  return session.status?.phase ? 'Ready' : 'NotReady';
}

function unavailability(name: string, agent: Agent | undefined): Unavailability | undefined {
  if (!agent || agent.metadata.deletionTimestamp) return { reason: 'AgentNotFound', message: `agent "${name}" not found` };
  if (agent.status?.phase === 'Unavailable') {
    const why = agent.status.message ?? agent.status.conditions?.find((c) => c.type === 'Ready')?.message;
    return { reason: 'AgentUnavailable', message: `agent "${name}" is Unavailable${why ? ` (${why})` : ''}` };
  }
  return undefined;
}

/** The channel's note for a turn that ended without a reply. */
function noteFor(run: Run): string {
  const s = run.status ?? {};
  const why = [s.reason, s.message].filter(Boolean).join(': ');
  return `${run.spec.agent} did not answer: run ${run.metadata.name} ${s.phase}${why ? ` (${why})` : ''}`;
}
