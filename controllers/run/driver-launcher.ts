/**
 * The daemon's DriverLauncher: each run's driver runs in its own host process (the supervisor's
 * DriverProcess), so a crashing driver fails that run only.
 */
import { DriverProcess } from './driver/supervisor.js';
import { defaultDriverRegistry, type DriverRegistry } from './driver/registry.js';
import type { DriverCapabilities, DriverKind } from './driver/contract.js';
import type { DriverHandle, DriverHooks, DriverLauncher, LaunchRequest } from './ports.js';

export interface ProcessDriverLauncherOptions {
  /** The host command (default: the compiled host beside the supervisor). */
  command?: string[];
  allowEnvPassthrough?: boolean;
  registry?: DriverRegistry;
  log?: (line: string) => void;
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

  async launch(req: LaunchRequest, hooks: DriverHooks): Promise<DriverHandle> {
    const p = DriverProcess.spawn({ command: this.opts.command, log: this.opts.log });
    p.onPermissionRequest(hooks.onPermission);
    void (async () => {
      for await (const event of p.events) hooks.onEvent(event);
    })();
    p.start({ ...req, allowEnvPassthrough: this.opts.allowEnvPassthrough ?? false });
    return {
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
