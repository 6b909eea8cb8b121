/**
 * What `sidekick steer`, `interrupt` and `cancel` share: create an Intervention against the run's
 * current generation (so a run that changed meanwhile makes it Expired, not misdirected), then
 * follow it until the Intervention controller records an outcome, and print it as TOUR.md shows:
 * `intervention.sidekicks.dev/hello-steer-x7k2q created (Degraded: delivered after the current turn)`.
 * `pause` and `resume` share the run target parsing and the suspend patch.
 */
import { UsageError } from 'clipanion';
import { PrintedError } from '../errors.js';
import type { ApiClient } from '../../api/client/client.js';
import type { ResourceRef } from '../../api/client/types.js';
import type { KubeObject } from '../../resources/meta.js';
import { isTerminalPhase, type RunPhase } from '../../resources/kinds/run.js';
import { NameLabel, nameLabels } from '../../resources/name-labels.js';
import { parseTarget, RUNS } from '../journal/read.js';
import { parseDuration, waitForObject, WaitTimeoutError } from '../object-waiter.js';

export const INTERVENTIONS: ResourceRef = { group: 'sidekicks.dev', version: 'v1alpha1', plural: 'interventions', kind: 'Intervention', namespaced: true };

/** Set on a run paused by an Interrupt (see controllers/intervention/intervention-status.ts). */
export const INTERRUPTED_BY = 'sidekicks.dev/interrupted-by';

/** How long the verbs wait for an outcome by default. */
export const DEFAULT_OUTCOME_TIMEOUT = '10s';

/** `--timeout` in milliseconds; a malformed duration is a usage mistake. */
export function outcomeTimeout(value: string): number {
  try {
    return parseDuration(value);
  } catch (err) {
    throw new UsageError(`--timeout: ${(err as Error).message}`);
  }
}

/** The fields of a Run these verbs read. */
export interface RunSummary extends KubeObject {
  spec: { session: string; suspend?: boolean };
  status?: { phase?: string };
}

/** The fields of an Intervention these verbs read. */
export interface InterventionView extends KubeObject {
  status?: { phase?: string; message?: string };
}

/** `run/NAME` (or `runs/NAME`, `run.sidekicks.dev/NAME`, a bare NAME) → NAME. */
export function runName(target: string): string {
  const name = parseTarget(target, ['run', 'runs', 'run.sidekicks.dev', 'runs.sidekicks.dev']);
  if (!name) throw new UsageError(`expected run/NAME, got "${target}"`);
  return name;
}

/** True for Completed, Interrupted, Canceled and Failed. */
export function hasEnded(run: RunSummary): boolean {
  return isTerminalPhase(run.status?.phase as RunPhase | undefined);
}

/**
 * Refuses, before anything is written, to `verb` (pause, resume, steer, interrupt, cancel) a run
 * that has ended or is being deleted — all five verbs alike: `error: run/hello is Completed:
 * nothing to steer`, exit 1. The API server refuses the same requests (kubectl users, races).
 */
export function refuseEnded(run: RunSummary, verb: string): void {
  const name = run.metadata.name!;
  if (run.metadata.deletionTimestamp) throw new PrintedError(`error: run/${name} is being deleted: nothing to ${verb}`);
  if (hasEnded(run)) throw new PrintedError(`error: run/${name} is ${run.status!.phase}: nothing to ${verb}`);
}

export interface InterventionRequest {
  type: 'Steer' | 'Interrupt' | 'Cancel';
  content?: string;
  reason?: string;
}

/** Creates the intervention for the run as it is now; resolves the created object. */
export async function createIntervention(client: ApiClient, namespace: string, run: string, req: InterventionRequest): Promise<InterventionView> {
  const current = await client.get<RunSummary>(RUNS, namespace, run);
  refuseEnded(current, req.type.toLowerCase());
  const body = {
    apiVersion: 'sidekicks.dev/v1alpha1',
    kind: 'Intervention',
    metadata: {
      generateName: `${run}-${req.type.toLowerCase()}-`,
      labels: nameLabels({ [NameLabel.Run]: run, [NameLabel.Session]: current.spec.session }),
    },
    spec: {
      run,
      type: req.type,
      ...(req.content !== undefined ? { content: req.content } : {}),
      ...(req.reason !== undefined ? { reason: req.reason } : {}),
      expectedRunGeneration: current.metadata.generation,
    },
  };
  return client.create<InterventionView>(INTERVENTIONS, namespace, body as KubeObject, { fieldManager: 'sidekick' });
}

/**
 * Follows the intervention until it settles (a Steer also stops at Accepted: it waits for the run,
 * not for us) or the timeout passes; resolves it as last seen.
 */
export async function awaitOutcome(client: ApiClient, namespace: string, created: InterventionView, type: InterventionRequest['type'], opts: { timeoutMs: number; signal: AbortSignal }): Promise<InterventionView> {
  const done = (obj: KubeObject | undefined): boolean => {
    const phase = (obj as InterventionView | undefined)?.status?.phase;
    return obj === undefined || ['Applied', 'Degraded', 'Rejected', 'Expired'].includes(phase ?? '') || (type === 'Steer' && phase === 'Accepted');
  };
  try {
    return ((await waitForObject({ client, ref: INTERVENTIONS, namespace, name: created.metadata.name!, done }, opts)) as InterventionView | undefined) ?? created;
  } catch (err) {
    if (!(err instanceof WaitTimeoutError)) throw err;
    return (await client.get<InterventionView>(INTERVENTIONS, namespace, created.metadata.name!).catch(() => created)) ?? created;
  }
}

/** The line printed for an intervention: its name and outcome (or that none is recorded yet). */
export function outcomeLine(iv: InterventionView): string {
  const phase = iv.status?.phase;
  const outcome = phase ? `${phase}${iv.status?.message ? `: ${iv.status.message}` : ''}` : 'Requested: no outcome recorded yet';
  return `intervention.sidekicks.dev/${iv.metadata.name} created (${outcome})`;
}

/** A request the run refused or that came too late: the verb exits 1. */
export function failed(iv: InterventionView): boolean {
  return iv.status?.phase === 'Rejected' || iv.status?.phase === 'Expired';
}

/** Merge-patches `spec.suspend` (dropping an Interrupt's mark: the person decides now). */
export function patchSuspend(client: ApiClient, namespace: string, run: RunSummary, suspend: boolean): Promise<KubeObject> {
  const marked = run.metadata.annotations?.[INTERRUPTED_BY] !== undefined;
  const patch = { spec: { suspend }, ...(marked ? { metadata: { annotations: { [INTERRUPTED_BY]: null } } } : {}) };
  return client.patch(RUNS, namespace, run.metadata.name!, 'merge', patch, { fieldManager: 'sidekick' });
}
