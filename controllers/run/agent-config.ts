/**
 * Builds the AgentConfig a driver receives from an Agent object, resolving secrets (API keys,
 * env valueFrom) on this machine at launch time: they are never stored in an object. On a runtime
 * node, an endpoint whose credentials are kept on the control plane is reached through the node's
 * model relay instead, and no key is read here.
 */
import { readFile } from 'node:fs/promises';
import type { Agent } from '../../resources/kinds/agent.js';
import { ToolName } from '../../resources/kinds/agent-script.js';
import type { AgentConfig } from '../../node/drivers/contract.js';
import type { ModelRelayEndpoint } from '../../node/model-relay.js';

/** A secret reference that cannot be resolved: the run fails with a clear reason. */
export class SecretError extends Error {
  readonly reason = 'SecretNotFound';
}

/** Reads a secret from the environment variable or the file `src` names; throws a SecretError naming `what`. */
export async function resolveSource(src: { env?: string; file?: string }, env: NodeJS.ProcessEnv, what: string): Promise<string> {
  if (src.env !== undefined) {
    const v = env[src.env];
    if (v === undefined) throw new SecretError(`${what}: environment variable ${src.env} is not set on this machine`);
    return v;
  }
  if (src.file !== undefined) {
    try {
      return (await readFile(src.file, 'utf8')).trim();
    } catch (err) {
      throw new SecretError(`${what}: cannot read ${src.file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  throw new SecretError(`${what}: neither env nor file is set`);
}

/**
 * The driver-facing configuration of an agent, with secrets resolved from `env` / files. With a
 * `relay` (a runtime node), a ControlPlane-credentials endpoint becomes the relay's URL for the
 * agent; without one (the daemon is its own control plane) its key is read here like any other.
 */
export async function agentConfigFor(agent: Agent, env: NodeJS.ProcessEnv = process.env, relay?: ModelRelayEndpoint): Promise<AgentConfig> {
  const spec = agent.spec;
  const extraEnv: Record<string, string> = {};
  for (const e of spec.env ?? []) {
    extraEnv[e.name] = e.valueFrom ? await resolveSource(e.valueFrom, env, `spec.env[${e.name}]`) : (e.value ?? '');
  }
  let endpoint: AgentConfig['endpoint'];
  if (spec.endpoint?.credentials === 'ControlPlane' && relay) {
    endpoint = { baseURL: relay.baseURLFor(agent.metadata.namespace!, agent.metadata.name!), apiKey: relay.apiKey };
  } else if (spec.endpoint) {
    endpoint = { baseURL: spec.endpoint.baseURL };
    if (spec.endpoint.apiKeyFrom) endpoint.apiKey = await resolveSource(spec.endpoint.apiKeyFrom, env, 'spec.endpoint.apiKeyFrom');
  }
  return {
    name: agent.metadata.name!,
    driver: spec.driver,
    ...(spec.model ? { model: spec.model } : {}),
    ...(spec.instructions ? { instructions: spec.instructions } : {}),
    ...(endpoint ? { endpoint } : {}),
    ...(spec.command ? { command: spec.command } : {}),
    tools: spec.tools ?? Object.values(ToolName),
    maxTurns: spec.maxTurns ?? 50,
    env: extraEnv,
    ...(spec.script ? { script: spec.script } : {}),
  };
}
