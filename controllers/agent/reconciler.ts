/**
 * The Agent reconciler: probes the agent's driver on this machine and reports Ready, the driver's
 * capabilities and version. Probed again periodically, since binaries and endpoints come and go.
 */
import type { Store } from '../../api/store/store.js';
import type { Agent } from '../../resources/kinds/agent.js';
import { setCondition } from '../../resources/conditions.js';
import type { ObjectKey, Reconciler, Result } from '../runtime/controller.js';
import { updateStatusIfChanged } from '../runtime/update-status.js';
import type { DriverCapabilities } from '../../node/drivers/contract.js';
import type { DriverProbe } from './probe.js';

const REPROBE_MS = 60_000;

export class AgentReconciler implements Reconciler {
  constructor(private readonly d: { store: Store; probe: DriverProbe; capabilitiesOf(driver: Agent['spec']['driver']): DriverCapabilities }) {}

  async reconcile(key: ObjectKey): Promise<Result> {
    const agent = await this.d.store.find<Agent>('agents', key.namespace, key.name);
    if (!agent || agent.metadata.deletionTimestamp) return {};
    const probe = await this.d.probe.probe(agent);
    const status: NonNullable<Agent['status']> = {
      phase: probe.ready ? 'Ready' : 'Unavailable',
      ...(probe.ready ? {} : { message: probe.message }),
      capabilities: this.d.capabilitiesOf(agent.spec.driver),
      ...(probe.version ? { driverVersion: probe.version } : {}),
      observedGeneration: agent.metadata.generation,
      conditions: setCondition(agent.status?.conditions, { type: 'Ready', status: probe.ready ? 'True' : 'False', reason: probe.reason, message: probe.message }, agent.metadata.generation ?? 1),
    };
    return (await updateStatusIfChanged(this.d.store, 'agents', agent, status)) ?? { requeueAfterMs: REPROBE_MS };
  }
}
