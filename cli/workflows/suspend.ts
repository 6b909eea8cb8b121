/** `workflow stop` and `workflow resume` share this: set spec.suspend, refusing what would not change anything. */
import type { ApiClient } from '../../api/client/client.js';
import type { Workflow } from '../../resources/kinds/workflow.js';
import { PrintedError } from '../errors.js';
import { WORKFLOWS } from './refs.js';

const ENDED = new Set(['Completed', 'Failed', 'Cancelled']);

export async function setSuspend(client: ApiClient, namespace: string, name: string, suspend: boolean): Promise<void> {
  const wf = await client.get<Workflow>(WORKFLOWS, namespace, name);
  const phase = wf.status?.phase ?? 'Pending';
  if (ENDED.has(phase)) throw new PrintedError(`error: workflow.sidekicks.dev "${name}" has ended (${phase})`);
  if (wf.spec.suspend === suspend) throw new PrintedError(`error: workflow.sidekicks.dev "${name}" is ${suspend ? 'already stopped' : 'not stopped'}`);
  await client.patch(WORKFLOWS, namespace, name, 'merge', { spec: { suspend } }, { fieldManager: 'sidekick' });
}
