/**
 * Builds the Workflow controller with its informers and the wiring that wakes it: a workflow
 * changes; a template appears (a workflow waiting on it); a child it owns (run, approval, channel)
 * changes phase or goes; one of its command steps ends. Runs and approvals come from the informers
 * the other controllers already run (this adds handlers to them).
 */
import type { Store } from '../../api/store/store.js';
import type { Journal } from '../../api/journal/journal.js';
import type { EventRecorder } from '../../api/events/recorder.js';
import type { Approval } from '../../resources/kinds/approval.js';
import type { Channel } from '../../resources/kinds/channel.js';
import type { Run } from '../../resources/kinds/run.js';
import type { Workflow } from '../../resources/kinds/workflow.js';
import type { WorkflowTemplate } from '../../resources/kinds/workflowtemplate.js';
import type { KubeObject } from '../../resources/meta.js';
import { Controller } from '../runtime/controller.js';
import { Informer, objectKey } from '../runtime/informer.js';
import type { Runnable } from '../runtime/manager.js';
import type { Workspaces } from '../../node/ports.js';
import { owningWorkflow } from './names.js';
import type { Clock } from '../runtime/clock.js';
import type { StatusWriter } from '../runtime/status-writer.js';
import { WorkflowReconciler } from './reconciler.js';
import { CommandSteps } from './steps.js';

export interface WorkflowControllerOptions {
  store: Store;
  journal: Journal;
  /** The run workspace manager: command steps get their worktrees from it. */
  workspaces: Workspaces;
  /** The runs and approvals informers of the other controllers (handlers are added; they run elsewhere). */
  runs: Informer<Run>;
  approvals: Informer<Approval>;
  recorder?: EventRecorder;
  /** Commits status with its events (default: one over `store` and `journal`). */
  status?: StatusWriter;
  clock?: Clock;
  /** The environment commands start from (sanitized first). */
  env?: NodeJS.ProcessEnv;
  /** Informer resync period (default 5 min). */
  resyncMs?: number;
  log?: (line: string) => void;
}

export interface WorkflowControllerSet {
  /** The informers and the controller (which stops the command steps when it stops), for the Manager. */
  runnables: Runnable[];
  controller: Controller;
}

/** The Workflow controller; add `runnables` to the Manager. */
export function buildWorkflowController(o: WorkflowControllerOptions): WorkflowControllerSet {
  const log = o.log ?? (() => undefined);
  const informer = <T extends KubeObject>(plural: string): Informer<T> => new Informer<T>(o.store, plural, { resyncMs: o.resyncMs ?? 300_000, log });
  const workflows = informer<Workflow>('workflows');
  const templates = informer<WorkflowTemplate>('workflowtemplates');
  const channels = informer<Channel>('channels');
  let controller!: Controller;
  const steps = new CommandSteps({ journal: o.journal, workspaces: o.workspaces, wake: (key) => controller.enqueue(key), ...(o.env ? { env: o.env } : {}), log });
  const reconciler = new WorkflowReconciler({
    store: o.store,
    journal: o.journal,
    steps,
    ...(o.recorder ? { recorder: o.recorder } : {}),
    ...(o.status ? { status: o.status } : {}),
    ...(o.clock ? { clock: o.clock } : {}),
  });
  controller = new Controller(reconciler, { name: 'workflow-controller', workers: 2, log });

  const enqueue = (wf: Workflow): void => controller.enqueue(objectKey(wf));
  workflows.addHandlers({ onAdd: enqueue, onUpdate: (_old, wf) => enqueue(wf), onDelete: enqueue });
  templates.addHandlers({
    onAdd: (t) => {
      for (const wf of workflows.list((w) => w.metadata.namespace === t.metadata.namespace && w.spec.templateRef?.name === t.metadata.name)) enqueue(wf);
    },
  });
  const wakeOwner = (obj: KubeObject): void => {
    const key = owningWorkflow(obj);
    if (key) controller.enqueue(key);
  };
  const onPhaseChange = <T extends KubeObject>(old: T, obj: T): void => {
    const phase = (o: KubeObject) => (o.status as { phase?: string } | undefined)?.phase;
    if (phase(old) !== phase(obj) || old === obj) wakeOwner(obj);
  };
  o.runs.addHandlers({ onUpdate: onPhaseChange, onDelete: wakeOwner });
  o.approvals.addHandlers({ onAdd: wakeOwner, onUpdate: onPhaseChange, onDelete: wakeOwner });
  channels.addHandlers({ onUpdate: onPhaseChange, onDelete: wakeOwner });

  // Commands run in this process: when the controller stops (the daemon is stopping), so do they,
  // unrecorded (see CommandSteps).
  const withSteps: Runnable = {
    name: controller.name,
    start: async (signal) => {
      try {
        await controller.start(signal);
      } finally {
        steps.stopAll();
      }
    },
  };
  const run = (i: Informer): Runnable => ({ name: `informer/${i.plural}`, start: (signal) => i.run(signal) });
  return { runnables: [run(workflows), run(templates), run(channels), withSteps], controller };
}
