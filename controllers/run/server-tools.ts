/**
 * The server-defined Tools a run's agent is given (Agent `spec.serverTools`), read from the store
 * at launch as the driver receives them. On a runtime node the store is the node's local one, which
 * the mirror fills from the control plane; on the daemon it is the daemon's own.
 */
import type { Store } from '../../api/store/store.js';
import type { Agent } from '../../resources/kinds/agent.js';
import type { Tool } from '../../resources/kinds/tool.js';
import type { ServerTool } from '../../node/drivers/contract.js';

/** A Tool the agent names does not exist: the run fails with this reason. */
export class ToolNotFoundError extends Error {
  readonly reason = 'ToolNotFound';
}

/** The agent's server-defined Tools, in its order; throws ToolNotFoundError naming the first missing one. */
export async function serverToolsOf(store: Pick<Store, 'find'>, agent: Agent): Promise<ServerTool[]> {
  const ns = agent.metadata.namespace!;
  const tools: ServerTool[] = [];
  for (const name of agent.spec.serverTools ?? []) {
    const tool = await store.find<Tool>('tools', ns, name);
    if (!tool || tool.metadata.deletionTimestamp) {
      throw new ToolNotFoundError(`agent ${agent.metadata.name}: spec.serverTools: tool "${name}" not found in namespace ${ns}`);
    }
    tools.push(serverToolOf(tool));
  }
  return tools;
}

/** One Tool object as the driver contract's ServerTool. */
export function serverToolOf(tool: Tool): ServerTool {
  const s = tool.spec;
  return {
    name: tool.metadata.name!,
    description: s.description,
    inputSchema: s.inputSchema,
    command: [...s.command],
    env: { ...(s.env ?? {}) },
    timeoutSeconds: s.timeoutSeconds ?? 120,
    ...(s.workingDir !== undefined ? { workingDir: s.workingDir } : {}),
  };
}
