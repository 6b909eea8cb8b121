/**
 * The rule that combines the isolation an Agent and a RepoMount ask for, and the platform default.
 * The closed sets themselves are part of the API (resources/kinds/common.ts).
 */
import { IsolationPolicy } from '../../resources/kinds/common.js';

export { IsolationMode, IsolationPolicy, NetworkIsolation } from '../../resources/kinds/common.js';

const strictness: Record<IsolationPolicy, number> = { Off: 0, BestEffort: 1, Required: 2 };

/**
 * The policy a run gets from its agent's and repo mount's `spec.isolation`: the stricter of those
 * that are set, else the default (the daemon's `--default-isolation`, else the platform's:
 * Required where a sandbox mechanism exists).
 */
export function effectivePolicy(requested: ReadonlyArray<IsolationPolicy | undefined>, fallback: IsolationPolicy = platformDefaultPolicy()): IsolationPolicy {
  return requestedPolicy(requested) ?? fallback;
}

/** The stricter of the policies that are set, or undefined when none is. */
export function requestedPolicy(requested: ReadonlyArray<IsolationPolicy | undefined>): IsolationPolicy | undefined {
  const set = requested.filter((p): p is IsolationPolicy => p !== undefined);
  if (set.length === 0) return undefined;
  return set.reduce((a, b) => (strictness[b] > strictness[a] ? b : a));
}

/** The default policy on this platform: Linux has bubblewrap; elsewhere there is no mechanism yet. */
export function platformDefaultPolicy(platform: NodeJS.Platform = process.platform): IsolationPolicy {
  return platform === 'linux' ? IsolationPolicy.Required : IsolationPolicy.BestEffort;
}

/** A run whose policy is Required cannot be sandboxed on this machine. */
export class IsolationUnavailableError extends Error {
  readonly reason = 'IsolationUnavailable';
}
