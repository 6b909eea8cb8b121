/**
 * The daemon's DriverLauncher: each run's driver runs in its own host process (the supervisor's
 * DriverProcess), so a crashing driver fails that run only, and that process runs in the run's
 * sandbox (node/sandbox), so an agent reaches its workspace and nothing of the daemon's.
 */
import { homedir } from 'node:os';
import { sandboxDriverHost } from '../sandbox/driver-sandbox.js';
import { platformDefaultPolicy, type IsolationPolicy } from '../sandbox/isolation.js';
import type { SandboxAvailability } from '../sandbox/probe.js';
import { defaultHostCommand, DriverProcess } from './supervisor.js';
import { AGENT_UMASK_ENV } from './protocol.js';
import { withholdServerEnv } from '../tools/server-tool.js';
import { defaultDriverRegistry, type DriverRegistry } from './registry.js';
import type { DriverCapabilities, DriverKind } from './contract.js';
import type { DriverHandle, DriverHooks, DriverLauncher, LaunchRequest } from '../ports.js';

export interface ProcessDriverLauncherOptions {
  /** The host command (default: the compiled host beside the supervisor). */
  command?: string[];
  allowEnvPassthrough?: boolean;
  registry?: DriverRegistry;
  log?: (line: string) => void;
  /** SIDEKICK_HOME: hidden inside sandboxes; the agents' homes live under it. Without it, hosts run unsandboxed. */
  stateDir?: string;
  /** The daemon user's home (default: os.homedir()), whose credential stores sandboxes hide. */
  userHome?: string;
  /** The umask the host sets for the agent's processes (default: the daemon's own). */
  agentUmask?: number;
  /** The policy of runs whose agent and repo mount set none (`--default-isolation`; default: the platform's). */
  defaultIsolation?: IsolationPolicy;
  /** For tests: what the sandbox probe reports (default: probe this machine). */
  sandboxAvailability?: SandboxAvailability;
}

const NO_CAPABILITIES: DriverCapabilities = { resume: false, steer: false, interactiveRequests: false, toolCalls: false, reasoningStream: false };

export class ProcessDriverLauncher implements DriverLauncher {
  private readonly registry: DriverRegistry;

  constructor(private readonly opts: ProcessDriverLauncherOptions = {}) {
    this.registry = opts.registry ?? defaultDriverRegistry;
  }

  /** Capabilities as the driver declares them (the host uses the same registry). */
  capabilitiesOf(driver: DriverKind): DriverCapabilities {
    const factory = this.registry[driver];
    return factory ? factory({ allowEnvPassthrough: false }).capabilities() : NO_CAPABILITIES;
  }

  /** Starts the run's host; throws IsolationUnavailableError when the run requires a sandbox that cannot be made. */
  async launch(req: LaunchRequest, hooks: DriverHooks): Promise<DriverHandle> {
    const allowEnvPassthrough = this.opts.allowEnvPassthrough ?? false;
    const { isolation: policy, ...start } = req;
    const sandbox = this.opts.stateDir
      ? await sandboxDriverHost({
          policy: policy ?? this.opts.defaultIsolation ?? platformDefaultPolicy(),
          hostCommand: this.opts.command ?? defaultHostCommand(),
          run: req.run,
          providerRunsCommands: req.agent.driver === 'Claude' || req.agent.driver === 'Codex',
          workspace: req.workspace,
          stateDir: this.opts.stateDir,
          userHome: this.opts.userHome ?? homedir(),
          baseEnv: process.env,
          allowEnvPassthrough,
          ...(this.opts.sandboxAvailability ? { availability: this.opts.sandboxAvailability } : {}),
        })
      : undefined;
    const env = { ...(sandbox?.env ?? process.env), ...(this.opts.agentUmask !== undefined ? { [AGENT_UMASK_ENV]: this.opts.agentUmask.toString(8) } : {}) };
    const p = DriverProcess.spawn({ command: sandbox?.command ?? this.opts.command, env, log: this.opts.log });
    p.onPermissionRequest(hooks.onPermission);
    void (async () => {
      for await (const event of p.events) hooks.onEvent(event);
    })();
    const agent = start.agent.serverTools ? { ...start.agent, serverTools: withholdServerEnv(start.agent.serverTools, allowEnvPassthrough) } : start.agent;
    p.start({ ...start, agent, allowEnvPassthrough, ...(sandbox?.nested ? { sandbox: sandbox.nested } : {}) });
    return {
      ...(sandbox ? { isolation: sandbox.isolation } : {}),
      capabilities: this.capabilitiesOf(req.agent.driver),
      send: async (text, source) => p.send(text, source),
      steer: (text) => p.steer(text),
      interrupt: async () => p.interrupt(),
      close: async () => {
        await p.close();
      },
      exited: p.exited.then(() => undefined),
    };
  }
}
