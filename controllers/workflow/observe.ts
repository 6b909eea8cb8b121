/**
 * Observes the current attempt of every running phase: reads its children — the Run, the command
 * step's journal record, the Approval, the Channel, the checks of its gate — and says what they
 * report (./outcomes.ts). Only two observations act: a command step cut short by a restart is
 * recorded as skipped (an Automated command is never run twice) or, for a check that only reads,
 * run again.
 */
import type { Store } from '../../api/store/store.js';
import type { Approval } from '../../resources/kinds/approval.js';
import type { Channel } from '../../resources/kinds/channel.js';
import { isTerminalPhase, type Run } from '../../resources/kinds/run.js';
import { render } from '../../resources/workflow/expressions.js';
import { attemptName, checkName, gateApprovalName } from './names.js';
import { agentCheckPasses, approvalGate, channelWork, humanWork, runWork, stepWork } from './outcomes.js';
import { missingMount, renderValues, stepRefOf, stepSpecOf, type Pass } from './pass.js';
import type { GateOutcome, PhaseObservation, PhaseSpec, WorkOutcome } from './plan.js';
import type { CommandSteps } from './steps.js';

export class AttemptObserver {
  constructor(private readonly d: { store: Store; steps: CommandSteps }) {}

  /** What the children of every running attempt say. */
  async observe(pass: Pass): Promise<Record<string, PhaseObservation>> {
    const observed: Record<string, PhaseObservation> = {};
    for (const spec of pass.spec.phases) {
      const ps = pass.wf.status?.phases?.[spec.name];
      if (ps?.phase !== 'Running') continue;
      const attempt = ps.attempts ?? 0;
      observed[spec.name] = ps.gate?.state === 'Running' ? { gate: await this.observeGate(pass, spec, attempt) } : { work: await this.observeWork(pass, spec, attempt) };
    }
    return observed;
  }

  private async observeWork(pass: Pass, spec: PhaseSpec, attempt: number): Promise<WorkOutcome> {
    const ns = pass.wf.metadata.namespace!;
    const name = attemptName(pass.wf.metadata.name!, spec.name, attempt);
    switch (spec.type) {
      case 'Agent':
        return runWork(await this.d.store.find<Run>('runs', ns, name));
      case 'Human':
        return humanWork(await this.d.store.find<Approval>('approvals', ns, name), spec.human);
      case 'MultiAgent': {
        const channel = await this.d.store.find<Channel>('channels', ns, name);
        if (!channel && !(await this.d.store.find<Channel>('channels', ns, spec.channel ?? ''))) {
          return { state: 'Failed', reason: 'ChannelNotFound', message: `channel "${spec.channel ?? ''}" (the phase's channel to copy) not found` };
        }
        return channelWork(channel);
      }
      case 'Automated': {
        const missing = missingMount(pass);
        if (missing) return { state: 'Failed', reason: 'RepoMountNotFound', message: missing };
        const ref = stepRefOf(pass, spec.name, name);
        const state = await this.d.steps.state(ref);
        if (state.state === 'Done') return stepWork(state.result);
        // Running when the daemon stopped: a command with effects is not run twice.
        if (state.state === 'Interrupted') {
          const result = await this.d.steps.recordSkipped(ref, stepSpecOf(pass, spec, render(spec.command ?? '', renderValues(pass)), true));
          return { state: 'Failed', reason: 'RecoveryNeeded', message: result.output };
        }
        return { state: 'Pending' };
      }
    }
  }

  private async observeGate(pass: Pass, spec: PhaseSpec, attempt: number): Promise<GateOutcome> {
    const ns = pass.wf.metadata.namespace!;
    const wfName = pass.wf.metadata.name!;
    if (spec.gate?.type === 'HumanApproval') return approvalGate(await this.d.store.find<Approval>('approvals', ns, gateApprovalName(wfName, spec.name, attempt)));
    const checks = spec.gate?.checks ?? [];
    for (const [i, check] of checks.entries()) {
      const name = checkName(wfName, spec.name, attempt, i);
      const label = check.name ?? check.command ?? `${check.agent} review`;
      if (check.command !== undefined) {
        const missing = missingMount(pass);
        if (missing) return { state: 'Failed', result: `check ${label}: ${missing}` };
        const ref = stepRefOf(pass, spec.name, name);
        const state = await this.d.steps.state(ref);
        // A check only reads: one cut short by a restart is run again (journalled tool.replayed).
        if (state.state === 'Interrupted') {
          await this.d.steps.start(ref, stepSpecOf(pass, spec, render(check.command, renderValues(pass)), false), true);
          return { state: 'Running' };
        }
        if (state.state !== 'Done') return { state: 'Running' };
        if (!state.result.ok) {
          const last = state.result.output.trim().split('\n').slice(-1)[0] ?? '';
          return { state: 'Failed', result: `check ${label} failed${state.result.exitCode !== undefined ? ` (exit code ${state.result.exitCode})` : ''}: ${last}` };
        }
        continue;
      }
      const run = await this.d.store.find<Run>('runs', ns, name);
      const phase = run?.status?.phase;
      if (phase !== 'Completed' && isTerminalPhase(phase)) return { state: 'Failed', result: `check ${label}: run ${name} ended ${phase}` };
      if (phase !== 'Completed') return { state: 'Running' };
      if (!agentCheckPasses(run!.status?.summary)) return { state: 'Failed', result: `check ${label} failed: ${run!.status?.summary ?? '(no answer)'}` };
    }
    return { state: 'Passed', result: `${checks.length} check${checks.length === 1 ? '' : 's'} passed` };
  }
}
