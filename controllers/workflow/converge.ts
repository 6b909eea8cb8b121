/**
 * Makes the world match a committed status: the children of every running attempt exist (created
 * once, by derived name), and every child whose attempt is over is stopped — its run canceled
 * through a Cancel intervention naming why (`SiblingFailure: …`), its command step aborted. A
 * failed phase never leaves children running.
 */
import type { Store } from '../../api/store/store.js';
import type { Journal } from '../../api/journal/journal.js';
import type { Channel } from '../../resources/kinds/channel.js';
import { isTerminalPhase, type Run } from '../../resources/kinds/run.js';
import type { Workflow } from '../../resources/kinds/workflow.js';
import { render } from '../../resources/workflow/expressions.js';
import type { Clock } from '../runtime/clock.js';
import { approvalFor, cancelFor, channelFor, Children, parseDuration, runFor, type ChildOf } from './children.js';
import { attemptName, checkName, gateApprovalName, PHASE_LABEL } from './names.js';
import { agentCheckPasses } from './outcomes.js';
import { baseRefOf, missingMount, renderValues, stepRefOf, stepSpecOf, type Pass } from './pass.js';
import { isWorkflowTerminal, type PhaseSpec } from './plan.js';
import type { CommandSteps } from './steps.js';
import { NameLabel, nameSelector } from '../../resources/name-labels.js';
import { metaTime } from '../../resources/time.js';

export class AttemptConverger {
  private readonly children: Children;

  constructor(private readonly d: { store: Store; journal: Journal; steps: CommandSteps; clock: Clock }) {
    this.children = new Children(d.store, d.journal);
  }

  /** Makes the children of running attempts exist, and stops every child whose attempt is over. */
  async converge(pass: Pass): Promise<void> {
    const keepRuns = new Set<string>();
    const keepSteps = new Set<string>();
    if (!isWorkflowTerminal(pass.wf.status)) {
      for (const spec of pass.spec.phases) {
        const ps = pass.wf.status?.phases?.[spec.name];
        if (ps?.phase !== 'Running') continue;
        const attempt = ps.attempts ?? 0;
        if (ps.gate?.state === 'Running') await this.ensureGate(pass, spec, attempt, keepRuns, keepSteps);
        else await this.ensureWork(pass, spec, attempt, keepRuns, keepSteps);
      }
    }
    await this.stopStray(pass.wf, keepRuns, keepSteps);
  }

  private async ensureWork(pass: Pass, spec: PhaseSpec, attempt: number, keepRuns: Set<string>, keepSteps: Set<string>): Promise<void> {
    const { wf } = pass;
    const name = attemptName(wf.metadata.name!, spec.name, attempt);
    const child: ChildOf = { wf, phase: spec.name, attempt, name };
    const values = renderValues(pass);
    switch (spec.type) {
      case 'Agent': {
        keepRuns.add(name);
        const prompt = render(spec.prompt ?? '', values).trim() || `Phase ${spec.name} of workflow ${wf.metadata.name}`;
        await this.children.ensure('runs', runFor(child, { agent: spec.agent ?? '', prompt, baseRef: baseRefOf(pass, spec.name) }));
        return;
      }
      case 'Automated': {
        keepSteps.add(name);
        if (missingMount(pass)) return;
        const ref = stepRefOf(pass, spec.name, name);
        if ((await this.d.steps.state(ref)).state === 'NotStarted') await this.d.steps.start(ref, stepSpecOf(pass, spec, render(spec.command ?? '', values), true));
        return;
      }
      case 'Human': {
        const prompt = render(spec.human?.prompt ?? spec.prompt ?? '', values);
        const timeout = spec.human?.timeout ? parseDuration(spec.human.timeout) : undefined;
        const started = Date.parse(wf.status?.phases?.[spec.name]?.startedAt ?? '') || this.d.clock.now();
        const details = `${prompt}${spec.human?.inputSchema ? `\n\nExpected answer (JSON Schema): ${JSON.stringify(spec.human.inputSchema)}` : ''}\n\nAnswer with: sidekick approve ${name} --reason "<your answer>"`;
        await this.children.ensureApproval(
          approvalFor(child, {
            category: 'HumanPhaseContribution',
            summary: firstLine(prompt) || `phase ${spec.name} of workflow ${wf.metadata.name}`,
            details,
            ...(timeout !== undefined ? { expiresAt: metaTime(started + timeout) } : {}),
          }),
        );
        return;
      }
      case 'MultiAgent': {
        const base = await this.d.store.find<Channel>('channels', wf.metadata.namespace!, spec.channel ?? '');
        if (base) await this.children.ensure('channels', channelFor(child, base, spec.prompt ? render(spec.prompt, values) : undefined));
        return;
      }
    }
  }

  private async ensureGate(pass: Pass, spec: PhaseSpec, attempt: number, keepRuns: Set<string>, keepSteps: Set<string>): Promise<void> {
    const { wf } = pass;
    const wfName = wf.metadata.name!;
    const ps = wf.status?.phases?.[spec.name];
    if (spec.gate?.type === 'HumanApproval') {
      const name = gateApprovalName(wfName, spec.name, attempt);
      const out = ps?.outputs ?? {};
      const details = [out.summary && `Summary: ${out.summary}`, out.branch && `Branch: ${out.branch}`, out.diff && `Diff: ${out.diff}`, `Approve with: sidekick approve ${name}`].filter(Boolean).join('\n');
      await this.children.ensureApproval(approvalFor({ wf, phase: spec.name, attempt, name }, { category: 'Gate', summary: `approve phase ${spec.name} of workflow ${wfName}`, details }));
      return;
    }
    const values = renderValues(pass);
    // Checks run one after the other, in order; the first that fails fails the gate.
    for (const [i, check] of (spec.gate?.checks ?? []).entries()) {
      const name = checkName(wfName, spec.name, attempt, i);
      if (check.command !== undefined) {
        keepSteps.add(name);
        if (missingMount(pass)) return;
        const ref = stepRefOf(pass, spec.name, name);
        const state = await this.d.steps.state(ref);
        if (state.state === 'NotStarted') await this.d.steps.start(ref, stepSpecOf(pass, spec, render(check.command, values), false));
        if (state.state !== 'Done' || !state.result.ok) return;
        continue;
      }
      keepRuns.add(name);
      const run = await this.d.store.find<Run>('runs', wf.metadata.namespace!, name);
      if (!run) {
        const prompt = render(check.prompt ?? '', values).trim() || `Review phase ${spec.name} of workflow ${wfName}; answer PASS or FAIL.`;
        await this.children.ensure('runs', runFor({ wf, phase: spec.name, attempt, name }, { agent: check.agent ?? '', prompt, baseRef: ps?.outputs?.headCommit ?? baseRefOf(pass, spec.name) }));
        return;
      }
      if (run.status?.phase !== 'Completed' || !agentCheckPasses(run.status.summary)) return;
    }
  }

  /** Cancels the workflow's runs and stops its commands that belong to no running attempt. */
  async stopStray(wf: Workflow, keepRuns: ReadonlySet<string>, keepSteps: ReadonlySet<string>): Promise<void> {
    const ns = wf.metadata.namespace!;
    const why = (phase: string | undefined): string => (phase ? wf.status?.phases?.[phase]?.message : undefined) ?? wf.status?.message ?? 'its workflow attempt ended';
    this.d.steps.stopStray(`${ns}/${wf.metadata.name}`, keepSteps, why(undefined));
    const runs = (await this.d.store.list<Run>('runs', { namespace: ns, labelSelector: nameSelector(NameLabel.Workflow, wf.metadata.name!) })).items;
    for (const run of runs) {
      const ours = run.metadata.ownerReferences?.some((o) => o.uid === wf.metadata.uid);
      if (!ours || keepRuns.has(run.metadata.name!) || isTerminalPhase(run.status?.phase) || run.metadata.deletionTimestamp) continue;
      await this.children.ensure('interventions', cancelFor(wf, run, why(run.metadata.labels?.[PHASE_LABEL])));
    }
  }
}

function firstLine(text: string): string {
  const line = text.trim().split('\n')[0] ?? '';
  return line.length > 80 ? `${line.slice(0, 79)}…` : line;
}
