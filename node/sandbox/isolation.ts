/**
 * The rule that combines the isolation an Agent and a RepoMount ask for, and the platform default.
 * The closed sets themselves are part of the API (resources/kinds/common.ts).
 */
import { IsolationPolicy } from '../../resources/kinds/common.js';

export { IsolationPolicy };

const strictness: Record<IsolationPolicy, number> = { Off: 0, BestEffort: 1, Required: 2 };

/**
 * The stricter of the policies an agent and a repo mount set, or undefined when neither does (the
 * launcher then applies the daemon's `--default-isolation`, else the platform default).
 */
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
