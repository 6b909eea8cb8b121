/**
 * What a workflow does next, decided from its template, its recorded status and what its
 * children say about the current attempts (observations). Pure: the reconciler gathers the
 * inputs, commits the returned status with the returned journal events in one write, then makes
 * the children the new status calls for. Every rule of DOMAIN.md "Workflows and channels" that is
 * a decision lives here, so each is a table test:
 * - phases start in dependency order, independent ones in parallel up to maxConcurrentPhases;
 * - an attempt's work is judged, then its gate (AutoContinue, QualityChecks, HumanApproval);
 * - a failed gate retries the phase, goes back to an earlier phase (counted against this phase's
 *   `retries`), or stops the workflow;
 * - join policies: FailFast cancels running siblings (`SiblingFailure`), AllSettled skips the
 *   dependents of a failure and fails at the end, AnySuccess succeeds when a terminal branch did;
 * - limits: `retries` per phase, 100 phase transitions, 24 h per workflow;
 * - `spec.suspend` starts nothing new; the `sidekicks.dev/retry` annotation starts new attempts.
 * Events are emitted in causal order: a gate is resolved before the phase completes, and a phase
 * completes before the phases that wait on it are started.
 */
import { ancestors, descendants, phaseGraph, topologicalOrder, type PhaseGraph } from '../../resources/workflow/graph.js';
import type { WorkflowStatus } from '../../resources/kinds/workflow.js';
import type { WorkflowTemplateSpec } from '../../resources/kinds/workflowtemplate.js';
import { attemptName } from './names.js';
import { endInPlace, goBackRange, isWorkflowTerminal, joinOutcome, readyPhases } from './rules.js';

import type { PhaseStatus, Plan, WorkflowEvent } from './plan-types.js';
import { metaTime } from '../../resources/time.js';

export type { PhaseStatus, Plan, WorkflowEvent } from './plan-types.js';
export { endPlan, goBackRange, isWorkflowTerminal, joinOutcome, readyPhases } from './rules.js';

export type PhaseSpec = WorkflowTemplateSpec['phases'][number];

/** Phase transitions a workflow may make before it is failed (DOMAIN.md limits). */
export const MAX_TRANSITIONS = 100;
/** How long a workflow may run (DOMAIN.md limits). */
export const MAX_DURATION_MS = 24 * 60 * 60 * 1000;
export const DEFAULT_MAX_CONCURRENT_PHASES = 4;

/** The outcome of an attempt's work (its Run, command, Approval or Channel). */
export type WorkOutcome =
  | { state: 'Pending' }
  | { state: 'Succeeded'; outputs: Record<string, string>; message?: string }
  | { state: 'Failed'; reason: string; message: string };

/** The outcome of an attempt's gate. */
export type GateOutcome = { state: 'Running' } | { state: 'Passed'; result: string } | { state: 'Failed'; result: string };

/** What the children of a running phase's current attempt say. */
export interface PhaseObservation {
  work?: WorkOutcome;
  gate?: GateOutcome;
}

export interface PlanInput {
  /** The workflow's name (children are named after it). */
  name: string;
  template: WorkflowTemplateSpec;
  digest: string;
  status: WorkflowStatus | undefined;
  suspend: boolean;
  /** Observations of the phases that are Running, by phase name. */
  observed: Record<string, PhaseObservation>;
  now: Date;
  /** The value of the retry annotation, when set. */
  retry?: string;
}

const SETTLED_PHASE = new Set(['Succeeded', 'Failed', 'Skipped', 'Cancelled']);
const DEAD_PHASE = new Set(['Failed', 'Skipped', 'Cancelled']);

/** Decides the next status and the events that record the change. */
export function planWorkflow(input: PlanInput): Plan {
  return new Planner(input).run();
}

class Planner {
  private readonly g: PhaseGraph;
  private readonly order: string[];
  private readonly specs: Map<string, PhaseSpec>;
  private readonly status: WorkflowStatus;
  private readonly phases: Record<string, PhaseStatus>;
  private readonly events: WorkflowEvent[] = [];
  private readonly now: string;
  private retryIgnored?: string;
  /** Set when the workflow reached its end in this pass. */
  private ended = false;

  constructor(private readonly input: PlanInput) {
    this.g = phaseGraph(input.template);
    this.order = topologicalOrder(this.g);
    this.specs = new Map(input.template.phases.map((p) => [p.name, p]));
    this.status = structuredClone(input.status ?? {});
    this.phases = this.status.phases ??= {};
    this.now = metaTime(input.now);
  }

  run(): Plan {
    this.admit();
    this.applyRetry();
    if (!isWorkflowTerminal(this.status)) {
      this.judgeRunning();
      this.propagateFailures();
      this.enforceLimits();
      this.startReady();
      this.settle();
    }
    return { status: this.status, events: this.events, ...(this.retryIgnored ? { retryIgnored: this.retryIgnored } : {}) };
  }

  private emit(type: string, payload: Record<string, unknown>): void {
    this.events.push({ type: `workflow.${type}`, payload: { workflow: this.input.name, ...payload } });
  }

  /** Moves a phase to `phase`, counting the transition. */
  private move(name: string, phase: NonNullable<PhaseStatus['phase']>, message?: string): PhaseStatus {
    const ps = this.phases[name]!;
    if (ps.phase !== phase) this.status.transitions = (this.status.transitions ?? 0) + 1;
    ps.phase = phase;
    if (message === undefined) delete ps.message;
    else ps.message = message;
    if (SETTLED_PHASE.has(phase)) ps.finishedAt = this.now;
    return ps;
  }

  /** First pass: the workflow is admitted, every phase Pending. Later passes fill in phases a status lost. */
  private admit(): void {
    for (const name of this.g.names) this.phases[name] ??= { phase: 'Pending', attempts: 0 };
    if (this.status.phase && this.status.phase !== 'Pending') return;
    this.status.phase = 'Running';
    this.status.templateDigest = this.input.digest;
    this.status.transitions ??= 0;
    this.emit('admitted', { digest: this.input.digest, phases: this.order });
  }

  /** The retry annotation: new attempts from the named phase (or every failed one) and its descendants. */
  private applyRetry(): void {
    const retry = this.input.retry?.trim();
    if (!retry) return;
    let targets: string[];
    if (retry === '*') targets = this.order.filter((n) => this.phases[n]!.phase === 'Failed' || this.phases[n]!.phase === 'Cancelled');
    else if (this.specs.has(retry)) targets = [retry];
    else {
      this.retryIgnored = `no phase "${retry}" in the template (phases: ${this.order.join(', ')})`;
      return;
    }
    const reset = new Set(targets.flatMap((t) => [t, ...descendants(this.g, t)]));
    // Phases already waiting or running need nothing: the same annotation seen twice (a crash
    // before it was removed) starts nothing twice.
    const now = this.order.filter((n) => reset.has(n) && SETTLED_PHASE.has(this.phases[n]!.phase ?? 'Pending'));
    if (now.length === 0) return;
    for (const name of now) {
      const ps = this.move(name, 'Pending', `retry requested (${retry})`);
      delete ps.gate;
      this.emit('phase_retried', { phase: name, attempt: ps.attempts ?? 0, reason: 'Manual', from: retry });
    }
    if (isWorkflowTerminal(this.status)) {
      this.status.phase = 'Running';
      delete this.status.finishedAt;
      delete this.status.message;
      // A retried workflow gets a new 24 h from now: the limit is about runaway work, not age.
      this.status.startedAt = this.now;
      this.emit('retried', { from: retry, phases: now });
    }
  }

  /** Judges the current attempt of every running phase from its observation. */
  private judgeRunning(): void {
    for (const name of this.order) {
      const ps = this.phases[name]!;
      if (ps.phase !== 'Running') continue;
      const spec = this.specs.get(name)!;
      const obs = this.input.observed[name] ?? {};
      const timeout = spec.timeoutSeconds;
      if (timeout && ps.startedAt && this.input.now.getTime() - Date.parse(ps.startedAt) >= timeout * 1000) {
        this.attemptFailed(name, 'Timeout', `attempt ${ps.attempts} ran longer than ${timeout}s`);
        continue;
      }
      if (ps.gate?.state !== 'Running') this.judgeWork(name, spec, obs.work);
      else this.judgeGate(name, spec, obs.gate);
    }
  }

  private judgeWork(name: string, spec: PhaseSpec, work: WorkOutcome | undefined): void {
    if (!work || work.state === 'Pending') return;
    if (work.state === 'Failed') return this.attemptFailed(name, work.reason, work.message);
    const ps = this.phases[name]!;
    ps.outputs = work.outputs;
    const gate = spec.gate?.type ?? 'AutoContinue';
    if (gate === 'AutoContinue') {
      if (spec.gate) this.resolveGate(name, { state: 'Passed', result: 'AutoContinue' });
      return this.succeed(name, work.message);
    }
    ps.gate = { state: 'Running' };
    ps.message = gate === 'HumanApproval' ? 'waiting for approval' : 'running quality checks';
  }

  private judgeGate(name: string, spec: PhaseSpec, gate: GateOutcome | undefined): void {
    if (!gate || gate.state === 'Running') return;
    this.resolveGate(name, gate);
    if (gate.state === 'Passed') return this.succeed(name);
    const ps = this.phases[name]!;
    const attempts = ps.attempts ?? 0;
    const budget = attempts <= (spec.retries ?? 0);
    switch (spec.gate?.onFailure ?? 'Stop') {
      case 'Retry':
        return budget ? this.retry(name, 'Retry', `gate failed: ${gate.result}`) : this.fail(name, 'GateFailed', `${gate.result} (no retries left after ${attempts} attempts)`);
      case 'GoBackTo':
        return budget ? this.goBack(spec.gate?.goBackTo ?? name, name, gate.result) : this.fail(name, 'GateFailed', `${gate.result} (gave up after ${attempts} attempts)`);
      default:
        this.fail(name, 'GateFailed', gate.result);
        this.endWorkflow('GateFailed', `phase ${name}: gate failed (onFailure Stop): ${gate.result}`, 'WorkflowStopped');
    }
  }

  private resolveGate(name: string, gate: { state: 'Passed' | 'Failed'; result: string }): void {
    const ps = this.phases[name]!;
    ps.gate = { state: gate.state, result: gate.result };
    this.emit('gate_resolved', { phase: name, attempt: ps.attempts ?? 0, type: this.specs.get(name)!.gate?.type ?? 'AutoContinue', state: gate.state, result: gate.result });
  }

  /** The attempt's work failed (or timed out): retry while `retries` allow, else the phase fails. */
  private attemptFailed(name: string, reason: string, message: string): void {
    const ps = this.phases[name]!;
    if ((ps.attempts ?? 0) <= (this.specs.get(name)!.retries ?? 0)) this.retry(name, reason, message);
    else this.fail(name, reason, message);
  }

  private retry(name: string, reason: string, message: string): void {
    const attempt = this.phases[name]!.attempts ?? 0;
    const ps = this.move(name, 'Pending', `attempt ${attempt} failed: ${reason}: ${message}; retrying`);
    ps.finishedAt = this.now;
    delete ps.gate;
    this.emit('phase_retried', { phase: name, attempt: ps.attempts ?? 0, reason, message });
  }

  private goBack(target: string, from: string, result: string): void {
    if (target !== from && !ancestors(this.g, from).has(target)) {
      return this.fail(from, 'InvalidGoBackTo', `gate.goBackTo "${target}" is not "${from}" or a phase it depends on`);
    }
    for (const name of goBackRange(this.g, target, from)) {
      const ps = this.move(name, 'Pending', `going back to ${target}: the gate of ${from} failed: ${result}`);
      if (name === from) ps.finishedAt = this.now;
      delete ps.gate;
      this.emit('phase_retried', { phase: name, attempt: ps.attempts ?? 0, reason: 'GoBackTo', from, message: result });
    }
  }

  private succeed(name: string, message?: string): void {
    const ps = this.move(name, 'Succeeded', message);
    this.emit('phase_completed', { phase: name, attempt: ps.attempts ?? 0, outputs: ps.outputs ?? {} });
  }

  private fail(name: string, reason: string, message: string): void {
    const ps = this.move(name, 'Failed', `${reason}: ${message}`);
    this.emit('phase_failed', { phase: name, attempt: ps.attempts ?? 0, reason, message });
  }

  /**
   * Ends the workflow Failed: running phases are Cancelled with `cancelReason` (their children
   * are stopped by the reconciler), phases that never started are Skipped.
   */
  private endWorkflow(reason: string, message: string, cancelReason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.events.push(...endInPlace(this.input.name, this.status, this.order, { reason, message, cancelReason }, this.now));
  }

  /** FailFast: the first failure ends the workflow. Otherwise the dependents of a failure are skipped. */
  private propagateFailures(): void {
    if (this.ended) return;
    const failed = this.order.filter((n) => this.phases[n]!.phase === 'Failed');
    if (failed.length > 0 && (this.input.template.joinPolicy ?? 'FailFast') === 'FailFast') {
      return this.endWorkflow('PhaseFailed', `phase ${failed.join(', ')} failed (joinPolicy FailFast)`, 'SiblingFailure');
    }
    for (const name of this.order) {
      const ps = this.phases[name]!;
      if ((ps.phase ?? 'Pending') !== 'Pending') continue;
      const dead = (this.g.deps.get(name) ?? []).find((d) => DEAD_PHASE.has(this.phases[d]!.phase ?? ''));
      if (!dead) continue;
      this.move(name, 'Skipped', `dependency ${dead} ${this.phases[dead]!.phase}`);
      this.emit('phase_skipped', { phase: name, reason: 'DependencyFailed', dependency: dead });
    }
  }

  private enforceLimits(): void {
    if (this.ended) return;
    const started = this.status.startedAt ? Date.parse(this.status.startedAt) : undefined;
    if (started !== undefined && this.input.now.getTime() - started >= MAX_DURATION_MS) {
      this.endWorkflow('DeadlineExceeded', 'the workflow ran longer than 24h', 'DeadlineExceeded');
    } else if ((this.status.transitions ?? 0) > MAX_TRANSITIONS) {
      this.endWorkflow('TooManyTransitions', `more than ${MAX_TRANSITIONS} phase transitions`, 'TooManyTransitions');
    }
  }

  /** Starts ready phases in dependency order while slots are free; nothing new while suspended. */
  private startReady(): void {
    if (this.ended || this.input.suspend) return;
    const running = this.order.filter((n) => this.phases[n]!.phase === 'Running').length;
    let slots = (this.input.template.maxConcurrentPhases ?? DEFAULT_MAX_CONCURRENT_PHASES) - running;
    for (const name of readyPhases(this.input.template, this.phases)) {
      if (slots <= 0) break;
      if ((this.status.transitions ?? 0) + 1 > MAX_TRANSITIONS) {
        return this.endWorkflow('TooManyTransitions', `starting phase ${name} would pass ${MAX_TRANSITIONS} phase transitions`, 'TooManyTransitions');
      }
      const ps = this.phases[name]!;
      const attempt = (ps.attempts ?? 0) + 1;
      const child = attemptName(this.input.name, name, attempt);
      this.emit('phase_admitted', { phase: name, attempt, dependsOn: this.g.deps.get(name) ?? [] });
      this.move(name, 'Running');
      ps.attempts = attempt;
      ps.runs = [...(ps.runs ?? []), child];
      ps.startedAt = this.now;
      // finishedAt stays until this attempt settles: it dates the outputs kept from the last one,
      // which is how the head of the line is found (line.ts).
      delete ps.gate;
      this.status.startedAt ??= this.now;
      this.emit('phase_started', { phase: name, attempt, type: this.specs.get(name)!.type, child });
      slots -= 1;
    }
  }

  /** The workflow's own phase: Running, Suspended, or its verdict once every phase settled. */
  private settle(): void {
    if (this.ended) return;
    const states = this.order.map((n) => this.phases[n]!.phase ?? 'Pending');
    const wasSuspended = this.status.phase === 'Suspended';
    if (states.includes('Running')) {
      this.status.phase = 'Running';
      if (this.input.suspend) this.status.message = 'suspending: no new phases start; running phases finish';
      else if (this.status.message?.startsWith('suspend')) delete this.status.message;
    } else if (states.includes('Pending')) {
      this.status.phase = this.input.suspend ? 'Suspended' : 'Running';
      if (this.input.suspend) this.status.message = 'suspended: spec.suspend is true';
      else delete this.status.message;
    } else {
      const verdict = joinOutcome(this.input.template, this.phases);
      this.status.phase = verdict.ok ? 'Completed' : 'Failed';
      this.status.message = verdict.ok ? verdict.message : `PhaseFailed: ${verdict.message}`;
      this.status.finishedAt = this.now;
      this.emit(verdict.ok ? 'completed' : 'failed', verdict.ok ? { message: verdict.message } : { reason: 'PhaseFailed', message: verdict.message });
      return;
    }
    if (!wasSuspended && this.status.phase === 'Suspended') this.emit('suspended', {});
    if (wasSuspended && this.status.phase === 'Running') this.emit('resumed', {});
  }
}
