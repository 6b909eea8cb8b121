/**
 * Puts a run's driver host in its sandbox: decides from the run's isolation policy and what this
 * machine can do, prepares the agent's HOME, and returns the command, environment and the
 * `status.isolation` to report. Never falls back silently: Required and unavailable throws.
 */
import { access, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { IsolationStatus } from '../../resources/kinds/common.js';
import { sanitizeEnv } from './env.js';
import { sandboxArgv } from './bubblewrap.js';
import { hostProfile } from './host-profile.js';
import { IsolationPolicy, IsolationUnavailableError } from './isolation.js';
import { probeSandbox, type SandboxAvailability } from './probe.js';

export interface DriverSandboxRequest {
  policy: IsolationPolicy;
  /** The driver host command to wrap. */
  hostCommand: string[];
  run: { namespace: string; name: string; uid: string };
  /** Whether the driver's provider runs the agent's commands itself (Claude, Codex). */
  providerRunsCommands: boolean;
  workspace: { path: string; readOnly: boolean };
  /** SIDEKICK_HOME: hidden from the agent; agent homes live under it. */
  stateDir: string;
  /** The daemon user's home directory (its credential stores are hidden). */
  userHome: string;
  baseEnv: NodeJS.ProcessEnv;
  allowEnvPassthrough: boolean;
  /** For tests: what the probe says (default: probe this machine). */
  availability?: SandboxAvailability;
}

export interface DriverSandbox {
  command: string[];
  /** The host's environment (the daemon's, unchanged, when unsandboxed: the host filters for its tools). */
  env: NodeJS.ProcessEnv;
  isolation: IsolationStatus;
  /** Passed to the host so each command gets a nested sandbox. */
  nested?: { bwrap: string };
}

/** Wraps the host command in a sandbox when the policy and the machine allow it. */
export async function sandboxDriverHost(req: DriverSandboxRequest): Promise<DriverSandbox> {
  const unsandboxed = (message: string): DriverSandbox => ({
    command: req.hostCommand,
    env: req.baseEnv,
    isolation: { mode: 'Unsandboxed', mechanism: 'none', network: 'Open', message },
  });
  if (req.policy === IsolationPolicy.Off) return unsandboxed('isolation is Off for this run (spec.isolation of its agent or repo mount)');
  const found = req.availability ?? (await probeSandbox(req.baseEnv));
  if (!found.available) {
    if (req.policy === IsolationPolicy.Required) {
      throw new IsolationUnavailableError(`the run requires a sandbox and none can be made on this machine: ${found.reason}; or set spec.isolation: BestEffort (or Off) on the agent and repo mount`);
    }
    return unsandboxed(`isolation is BestEffort and no sandbox can be made: ${found.reason}`);
  }
  const agentHome = agentHomeDir(req.stateDir, req.run);
  await mkdir(agentHome, { recursive: true, mode: 0o700 });
  const frozen = await freezeCliSettings(agentHome);
  const profile = await hostProfile({
    bwrap: found.bwrap,
    workspace: req.workspace.path,
    readOnly: req.workspace.readOnly,
    agentHome,
    sidekickHome: req.stateDir,
    userHome: req.userHome,
    // The host reaches the model (endpoint or CLI); each command it runs gets its own network decision.
    network: true,
    frozen,
    programs: await (rootsByCommand.get(req.hostCommand.join('\0')) ?? remember(req.hostCommand)),
  });
  return {
    command: sandboxArgv(profile, req.hostCommand),
    env: { ...sanitizeEnv(req.baseEnv, { allowPassthrough: req.allowEnvPassthrough }), HOME: agentHome },
    isolation: { mode: 'Sandboxed', mechanism: 'bubblewrap', network: req.providerRunsCommands ? 'Provider' : 'PerCall' },
    nested: { bwrap: found.bwrap },
  };
}

/**
 * The agent's HOME: `<stateDir>/agent-homes/<namespace>/<run>-<uid8>`. It outlives the host
 * process (a CLI keeps its session there, which resume needs) and is private to the run.
 */
export function agentHomeDir(stateDir: string, run: { namespace: string; name: string; uid: string }): string {
  return path.join(stateDir, 'agent-homes', run.namespace, `${run.name}-${run.uid.replace(/-/g, '').slice(0, 8)}`);
}

/**
 * Settings through which a CLI would run commands without asking our approval gate, if the agent
 * could write them into its own HOME in one turn and the CLI read them in the next: Codex's
 * execution-policy rules and config, Claude Code's user settings (also ignored through
 * `--setting-sources ''`). They are created empty and mounted read-only.
 */
export const frozenCliSettings: ReadonlyArray<{ path: string; kind: 'dir' | 'file'; content?: string }> = [
  { path: '.codex/rules', kind: 'dir' },
  { path: '.codex/config.toml', kind: 'file', content: '' },
  { path: '.claude/settings.json', kind: 'file', content: '{}\n' },
  { path: '.claude/settings.local.json', kind: 'file', content: '{}\n' },
];

async function freezeCliSettings(agentHome: string): Promise<string[]> {
  const paths: string[] = [];
  for (const f of frozenCliSettings) {
    const p = path.join(agentHome, f.path);
    if (f.kind === 'dir') await mkdir(p, { recursive: true, mode: 0o700 });
    else {
      await mkdir(path.dirname(p), { recursive: true, mode: 0o700 });
      // 'wx': an existing file (a resumed run) keeps what it has; it was read-only all along.
      await writeFile(p, f.content ?? '', { flag: 'wx', mode: 0o600 }).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'EEXIST') throw err;
      });
    }
    paths.push(p);
  }
  return paths;
}

/** The host command is the same for every launch: its installation is looked up once. */
const rootsByCommand = new Map<string, Promise<string[]>>();

function remember(command: readonly string[]): Promise<string[]> {
  const roots = programRoots(command);
  rootsByCommand.set(command.join('\0'), roots);
  return roots;
}

/**
 * The installations a command runs from: for each absolute path in it, the nearest directory
 * above that holds a package.json (the Sidekicks checkout with its node_modules), else its own
 * directory (the Node binary's).
 */
export async function programRoots(command: readonly string[]): Promise<string[]> {
  const roots = new Set<string>();
  for (const arg of command) {
    if (!path.isAbsolute(arg)) continue;
    let dir = path.dirname(arg);
    let root = dir;
    for (; dir !== path.dirname(dir); dir = path.dirname(dir)) {
      if (await access(path.join(dir, 'package.json')).then(() => true, () => false)) {
        root = dir;
        break;
      }
    }
    roots.add(root);
  }
  return [...roots];
}
