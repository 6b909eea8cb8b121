/**
 * Checks whether an agent's driver can run on this machine: the claude / codex binary is found
 * (and reports a version), the OpenAI-compatible endpoint answers. The Scripted driver always can.
 */
import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { delimiter, isAbsolute, join } from 'node:path';
import type { Agent } from '../../resources/kinds/agent.js';
import { agentConfigFor } from '../run/agent-config.js';
import type { ModelRelayEndpoint } from '../../node/model-relay.js';

export interface ProbeResult {
  ready: boolean;
  reason: string;
  message: string;
  version?: string;
}

export interface DriverProbe {
  probe(agent: Agent): Promise<ProbeResult>;
}

/** Finds an executable by name on PATH (or checks an explicit path). */
export async function findExecutable(command: string, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  const candidates = isAbsolute(command) || command.includes('/') ? [command] : (env.PATH ?? '').split(delimiter).filter(Boolean).map((d) => join(d, command));
  for (const c of candidates) {
    try {
      await access(c, constants.X_OK);
      return c;
    } catch {
      // not here; try the next PATH entry
    }
  }
  return undefined;
}

function versionOf(binary: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(binary, ['--version'], { timeout: 5000, env }, (err, stdout) => resolve(err ? undefined : stdout.trim().split('\n')[0]));
  });
}

/**
 * Probes on the local machine with the daemon's environment. On a runtime node with a model relay,
 * an endpoint whose key the control plane keeps is not probed from here (the node has no key, and
 * the proxy serves only agents of runs bound to the node): its calls are checked by the proxy.
 */
export class LocalDriverProbe implements DriverProbe {
  constructor(
    private readonly env: NodeJS.ProcessEnv = process.env,
    private readonly modelRelay?: ModelRelayEndpoint,
  ) {}

  async probe(agent: Agent): Promise<ProbeResult> {
    switch (agent.spec.driver) {
      case 'Scripted':
        return { ready: true, reason: 'DriverAvailable', message: `${agent.spec.script?.length ?? 0} scripted steps`, version: 'scripted/v1' };
      case 'Claude':
      case 'Codex':
        return this.probeBinary(agent, agent.spec.command ?? (agent.spec.driver === 'Claude' ? 'claude' : 'codex'));
      case 'OpenAI':
        return this.probeEndpoint(agent);
    }
  }

  private async probeBinary(agent: Agent, command: string): Promise<ProbeResult> {
    const found = await findExecutable(command, this.env);
    if (!found) return { ready: false, reason: 'BinaryNotFound', message: `${command} not found${command.includes('/') ? '' : ' on PATH'} (set spec.command to its path)` };
    const version = await versionOf(found, this.env);
    return { ready: true, reason: 'BinaryFound', message: `${agent.spec.driver} CLI at ${found}`, ...(version ? { version } : {}) };
  }

  private async probeEndpoint(agent: Agent): Promise<ProbeResult> {
    if (!agent.spec.endpoint) return { ready: false, reason: 'EndpointMissing', message: 'spec.endpoint.baseURL is required for the OpenAI driver' };
    if (agent.spec.endpoint.credentials === 'ControlPlane' && this.modelRelay) {
      return { ready: true, reason: 'ControlPlaneProxy', message: `model calls go through the control plane's proxy to ${agent.spec.endpoint.baseURL}` };
    }
    let apiKey: string | undefined;
    try {
      apiKey = (await agentConfigFor(agent, this.env)).endpoint?.apiKey;
    } catch (err) {
      return { ready: false, reason: 'SecretNotFound', message: (err as Error).message };
    }
    const url = `${agent.spec.endpoint.baseURL.replace(/\/+$/, '')}/models`;
    try {
      const res = await fetch(url, { headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {}, signal: AbortSignal.timeout(3000) });
      await res.body?.cancel();
      if (res.ok) return { ready: true, reason: 'EndpointAnswers', message: `${url} answered ${res.status}` };
      return { ready: false, reason: 'EndpointRejected', message: `${url} answered HTTP ${res.status}` };
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
      return { ready: false, reason: 'EndpointUnreachable', message: `${url}: ${cause}` };
    }
  }
}
