/**
 * The Intervention reconciler: carries out a steer / interrupt / cancel request against a run and
 * records the outcome in status and journal (each status write commits with its events). An
 * outcome is settled once: Applied, Degraded, Rejected and Expired are never changed again.
 *
 * A new request is validated first against the run as it is now:
 * - the run is missing, being deleted or has ended → Rejected;
 * - `expectedRunGeneration` is not the run's generation → Expired (the requester saw another run);
 * - a Steer without text, or an Interrupt of a run with no turn to stop → Rejected.
 * Then, per type (DOMAIN.md, Runs):
 * - **Steer** goes to the run's live driver: `Applied` if it injected the text mid-turn, `Degraded`
 *   if the text waits for the current turn to end and becomes the next user message. A run with no
 *   live driver (queued, starting, paused, recovering) keeps the request `Accepted` — the
 *   Intervention itself is the persisted record — and gets it once its driver runs. A run paused
 *   by an Interrupt is resumed by the steer ("stop, then listen").
 * - **Interrupt** asks the Run controller to pause at the next safe point (`spec.suspend: true`,
 *   annotated {@link INTERRUPTED_BY}) → Applied; `sidekick resume` or a steer continues the same
 *   run from its transcript. A driver that cannot resume ends the run `Interrupted` instead.
 * - **Cancel** stops the driver and ends the run `Canceled` for good (reason `Canceled`) → Applied.
 *   The run's pending approvals are canceled by the Approval controller.
 * Interrupt and Cancel are journalled `Accepted` before they act, so a pass that repeats after a
 * crash knows it already validated them (their own effect changes the run's generation).
 *
 * "Rejected when the caller may not" is the API server's job: its authorization refuses to create
 * an Intervention the caller may not make, so no such object ever reaches this controller.
 */
import type { Store } from '../../api/store/store.js';
import type { Agent } from '../../resources/kinds/agent.js';
import type { Intervention } from '../../resources/kinds/intervention.js';
import { InterventionPhase, InterventionType } from '../../resources/kinds/intervention.js';
import type { Run } from '../../resources/kinds/run.js';
import type { Session } from '../../resources/kinds/session.js';
import { RunPhase } from '../../resources/kinds/run.js';
import type { ObjectKey, Reconciler, Result } from '../runtime/controller.js';
import type { DriverCapabilities, DriverKind } from '../../node/drivers/contract.js';
import type { DriverFleet } from '../../node/fleet.js';
import { isTerminalPhase } from '../run/phases.js';
import { INTERRUPTED_BY, isAccepted, isSettled, requesterOf } from './intervention-status.js';
import type { RunControl } from './run-control.js';
import type { InterventionWriter, Outcome } from './status-writer.js';
import { steerAnswer } from './steer.js';

/** How often a steer waiting for a run's driver looks again when no run change will wake it (recovery). */
const DRIVER_POLL_MS = 500;
/** How often a request against a run of a session not yet observed looks again. */
const SESSION_POLL_MS = 500;

/** Phases in which a run has (or is about to get back) a driver that takes steer text. */
const DRIVEN: ReadonlySet<string> = new Set([RunPhase.Running, RunPhase.WaitingForApproval, RunPhase.WaitingForInput]);

export interface InterventionReconcilerDeps {
  store: Store;
  writer: InterventionWriter;
  control: RunControl;
  fleet: Pick<DriverFleet, 'get'>;
  /** What a driver kind can do (can it resume after an interrupt?). */
  capabilitiesOf(driver: DriverKind): DriverCapabilities;
}

export class InterventionReconciler implements Reconciler {
  constructor(private readonly d: InterventionReconcilerDeps) {}

  async reconcile(key: ObjectKey): Promise<Result> {
    let iv = await this.d.store.find<Intervention>('interventions', key.namespace, key.name);
    if (!iv || isSettled(iv) || iv.metadata.deletionTimestamp) return {};
    const run = await this.d.store.find<Run>('runs', key.namespace, iv.spec.run);
    // The journal the outcome goes to: the run's session's, once that opened with session.created
    // (nothing is journalled before it); none when the run or its session does not exist.
    const session = run ? await this.d.store.find<Session>('sessions', key.namespace, run.spec.session) : undefined;
    if (session && !session.status?.phase) return { requeueAfterMs: SESSION_POLL_MS };
    const journalled = session ? run : undefined;
    const record = (target: Intervention, outcome: Outcome) => this.d.writer.record(target, journalled, outcome);
    if (!isAccepted(iv)) {
      const refusal = validate(iv, run);
      if (refusal) {
        await record(iv, refusal);
        return {};
      }
      if (iv.spec.type !== InterventionType.Steer) {
        const message = iv.spec.type === InterventionType.Cancel ? 'canceling the run' : 'stopping the current turn';
        await record(iv, { phase: InterventionPhase.Accepted, message });
        iv = { ...iv, status: { ...iv.status, phase: InterventionPhase.Accepted, message } };
      }
    }
    const ended = endedOutcome(iv, run);
    if (ended) {
      await record(iv, ended);
      return {};
    }
    const { outcome, requeueAfterMs } = await this.act(iv, run!);
    await record(iv, outcome);
    return requeueAfterMs !== undefined ? { requeueAfterMs } : {};
  }

  private act(iv: Intervention, run: Run): Promise<{ outcome: Outcome; requeueAfterMs?: number }> {
    switch (iv.spec.type) {
      case InterventionType.Steer:
        return this.steer(iv, run);
      case InterventionType.Interrupt:
        return this.interrupt(iv, run).then((outcome) => ({ outcome }));
      case InterventionType.Cancel:
        return this.cancel(iv, run).then((outcome) => ({ outcome }));
    }
  }

  private async steer(iv: Intervention, run: Run): Promise<{ outcome: Outcome; requeueAfterMs?: number }> {
    const accepted = (message: string, requeueAfterMs?: number) => ({ outcome: { phase: InterventionPhase.Accepted, message }, requeueAfterMs });
    if (run.spec.suspend) {
      if (run.metadata.annotations?.[INTERRUPTED_BY] === undefined) return accepted('the run is paused: the text is delivered when it resumes');
      await this.d.control.resume(run);
      return accepted('the run was interrupted: it resumes with the text as its next user message');
    }
    const phase = run.status?.phase ?? RunPhase.Queued;
    const entry = DRIVEN.has(phase) ? this.d.fleet.get(run.metadata.uid!) : undefined;
    if (entry && !entry.stopping) return { outcome: await steerAnswer(entry.handle, iv.spec.content!) };
    if (phase === RunPhase.Queued || phase === RunPhase.Starting) return accepted('the run has not started: the text is delivered once its driver runs');
    // Resuming (Paused, no longer suspended) or recovering after a restart: a phase change wakes
    // us for the former, nothing does for the latter.
    return accepted("waiting for the run's driver: the text is delivered once it runs", DRIVEN.has(phase) ? DRIVER_POLL_MS : undefined);
  }

  private async interrupt(iv: Intervention, run: Run): Promise<Outcome> {
    const why = iv.spec.reason ? `: ${iv.spec.reason}` : '';
    const driver = await this.driverOf(run);
    if (!driver || !this.d.capabilitiesOf(driver).resume) {
      const cannot = driver ? `the ${driver} driver cannot resume` : `agent "${run.spec.agent}" is gone`;
      const ended = await this.d.control.end(run, iv, 'Interrupted', 'Interrupted', `interrupted by ${byWhom(iv)}${why}; ${cannot}, so the run ended`);
      return endOutcome(iv, ended, 'Interrupted', 'Interrupted', `the run ended Interrupted (${cannot})`);
    }
    const resume = `\`sidekick resume run/${run.metadata.name}\``;
    // A pause a person asked for first stays theirs: a steer does not end it.
    if (run.spec.suspend && run.metadata.annotations?.[INTERRUPTED_BY] !== iv.metadata.name) {
      return { phase: InterventionPhase.Applied, message: `the run was already pausing (spec.suspend); ${resume} continues it` };
    }
    const hint = `${resume} or a steer continues it`;
    if (run.status?.phase === RunPhase.Paused) return { phase: InterventionPhase.Applied, message: `the run is Paused; ${hint}` };
    const paused = await this.d.control.pause(run, iv.metadata.name!);
    if (!paused) return { phase: InterventionPhase.Expired, message: `run ${run.metadata.name} was deleted before the interrupt took effect` };
    return { phase: InterventionPhase.Applied, message: `the current turn stops at the next safe point and the run pauses; ${hint}` };
  }

  private async cancel(iv: Intervention, run: Run): Promise<Outcome> {
    const message = `canceled by ${byWhom(iv)}${iv.spec.reason ? `: ${iv.spec.reason}` : ''}`;
    const ended = await this.d.control.end(run, iv, 'Canceled', 'Canceled', message);
    return endOutcome(iv, ended, 'Canceled', 'Canceled', 'the run was canceled: it ended Canceled');
  }

  private async driverOf(run: Run): Promise<DriverKind | undefined> {
    const agent = await this.d.store.find<Agent>('agents', run.metadata.namespace!, run.spec.agent);
    return agent?.spec.driver as DriverKind | undefined;
  }
}

/** `alice (intervention hello-cancel-x7k2q)`, or just the intervention when no requester is recorded. */
function byWhom(iv: Intervention): string {
  const who = requesterOf(iv);
  return who ? `${who} (intervention ${iv.metadata.name})` : `intervention ${iv.metadata.name}`;
}

/** Why a new request is refused (Rejected) or stale (Expired), or undefined when it can go ahead. */
export function validate(iv: Intervention, run: Run | undefined): Outcome | undefined {
  const rejected = (message: string): Outcome => ({ phase: InterventionPhase.Rejected, message });
  const name = iv.spec.run;
  if (!run) return rejected(`run "${name}" not found`);
  if (run.metadata.deletionTimestamp) return rejected(`run "${name}" is being deleted`);
  const phase = run.status?.phase ?? RunPhase.Queued;
  if (isTerminalPhase(phase)) return rejected(`run "${name}" already ended ${phase}`);
  const expected = iv.spec.expectedRunGeneration;
  if (expected !== undefined && expected !== run.metadata.generation) {
    return { phase: InterventionPhase.Expired, message: `run "${name}" changed since the request: it is at generation ${run.metadata.generation}, the request expected ${expected}` };
  }
  if (iv.spec.type === InterventionType.Steer && !iv.spec.content?.trim()) return rejected('spec.content: a Steer needs the text to deliver');
  if (iv.spec.type === InterventionType.Interrupt) {
    if (phase === RunPhase.Queued || phase === RunPhase.Starting) return rejected(`run "${name}" has not started: there is no turn to interrupt (cancel it, or pause it)`);
    if (phase === RunPhase.Paused) return rejected(`run "${name}" is paused: there is no turn to interrupt`);
  }
  return undefined;
}

/** The outcome of an accepted request whose run is gone or has ended, or undefined while it runs. */
function endedOutcome(iv: Intervention, run: Run | undefined): Outcome | undefined {
  const what = iv.spec.type === InterventionType.Steer ? 'the text was delivered' : `the ${iv.spec.type.toLowerCase()} took effect`;
  if (!run || run.metadata.deletionTimestamp) return { phase: InterventionPhase.Expired, message: `run ${iv.spec.run} was deleted before ${what}` };
  const phase = run.status?.phase;
  if (!isTerminalPhase(phase)) return undefined;
  // Interrupt and Cancel want the run stopped: if it ended Interrupted or Canceled (this request,
  // repeated after a crash, or another one), that is done.
  if ((phase === RunPhase.Interrupted || phase === RunPhase.Canceled) && iv.spec.type !== InterventionType.Steer) {
    return { phase: InterventionPhase.Applied, message: `the run ended ${phase} (${run.status?.reason ?? phase})` };
  }
  return { phase: InterventionPhase.Expired, message: `the run ended ${phase} before ${what}` };
}

/**
 * Applied when the run ended stopped (Interrupted or Canceled: `wanted` for `reason` says this
 * request did it); Expired when it ended otherwise first.
 */
function endOutcome(iv: Intervention, ended: Run | undefined, wanted: RunPhase, reason: string, message: string): Outcome {
  if (!ended) return { phase: InterventionPhase.Expired, message: `run ${iv.spec.run} was deleted before the ${iv.spec.type.toLowerCase()} took effect` };
  const phase = ended.status?.phase;
  if (phase === RunPhase.Interrupted || phase === RunPhase.Canceled) {
    return { phase: InterventionPhase.Applied, message: phase === wanted && ended.status?.reason === reason ? message : `the run ended ${phase} (${ended.status?.reason})` };
  }
  return { phase: InterventionPhase.Expired, message: `the run ended ${phase} before the ${iv.spec.type.toLowerCase()} took effect` };
}
