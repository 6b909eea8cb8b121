/**
 * What a node tells the control plane it offers, found on this machine at start: every driver with
 * whether it can run here and its version (the claude / codex binaries on PATH answer `--version`;
 * the Scripted and OpenAI-compatible drivers need no binary), the sandbox mechanism, and the OS.
 * The scheduler places runs by it.
 */
import { arch, release, type } from 'node:os';
import type { Agent } from '../../resources/kinds/agent.js';
import { Driver } from '../../resources/kinds/common.js';
import type { NodeInfo, RuntimeNodeStatus } from '../../resources/kinds/runtimenode.js';
import { LocalDriverProbe } from '../../controllers/agent/probe.js';
import { ProcessDriverLauncher } from '../../node/drivers/launcher.js';
import { probeSandbox } from '../../node/sandbox/probe.js';
import { CLI_VERSION } from '../version.js';

type NodeDriverStatus = NonNullable<RuntimeNodeStatus['capabilities']>[number];


export interface NodeCapabilities {
  drivers: NodeDriverStatus[];
  nodeInfo: Required<NodeInfo>;
}

/** Probes the drivers and the sandbox (a few hundred milliseconds: binaries answer `--version`). */
export async function discoverCapabilities(env: NodeJS.ProcessEnv = process.env): Promise<NodeCapabilities> {
  const probe = new LocalDriverProbe(env);
  const launcher = new ProcessDriverLauncher();
  const drivers = await Promise.all(
    Object.values(Driver).map(async (driver): Promise<NodeDriverStatus> => {
      const capabilities = launcher.capabilitiesOf(driver);
      if (driver === Driver.OpenAI) return { driver, available: true, version: 'openai-compatible/v1', capabilities };
      const found = await probe.probe({ spec: { driver } } as Agent);
      return { driver, available: found.ready, ...(found.version ? { version: found.version } : {}), capabilities };
    }),
  );
  const sandbox = await probeSandbox(env);
  return {
    drivers,
    nodeInfo: {
      operatingSystem: type().toLowerCase(),
      architecture: arch(),
      kernelVersion: release(),
      isolation: sandbox.available ? sandbox.mechanism : `none (${sandbox.reason})`,
      sidekickVersion: CLI_VERSION,
    },
  };
}
