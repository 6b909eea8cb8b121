/**
 * Budgets (DOMAIN.md, Budgets and limits): tokens and cost per run (the run's `spec.budget`, else
 * its agent's, tokens 100k by default), turns per run (the agent's `maxTurns`), and tokens and
 * cost per session (`limits.budget`, summed over the session's runs). Crossing 80% of a budget
 * warns once; reaching 100% ends the run Failed with reason BudgetExhausted.
 */
import type { Run } from '../../resources/kinds/run.js';
import type { Agent } from '../../resources/kinds/agent.js';
import type { Session } from '../../resources/kinds/session.js';

/** Default per-run token budget (DOMAIN.md, Budgets). */
export const DEFAULT_TOKEN_BUDGET = 100_000;
/** The share of a budget that raises a Warning event. */
export const WARNING_SHARE = 0.8;

/** What a run or a session has used so far. */
export interface Usage {
  tokens: number;
  usd: number;
  turns: number;
}

/** Budgets that apply; an absent one is unlimited. */
export interface Budget {
  tokens?: number;
  usd?: number;
  turns?: number;
}

const DIMENSIONS = ['tokens', 'usd', 'turns'] as const;

export interface BudgetVerdict {
  /** Budgets whose 80% line this usage crossed (each reported once, when crossed). */
  warnings: string[];
  /** The first budget used up, if any. */
  exhausted?: string;
}

/** The run's own token and cost budget: its spec, else its agent's; tokens default to 100k. (Its turns are the driver's maxTurns.) */
export function runBudget(run: Run, agent?: Agent): Budget {
  const own = run.spec.budget ?? agent?.spec.budget ?? {};
  return { tokens: own.tokens ?? DEFAULT_TOKEN_BUDGET, ...(own.usd !== undefined ? { usd: own.usd } : {}) };
}

/** The turns a run may take: the agent's maxTurns, lowered by a turn budget of the run (or its agent). */
export function runMaxTurns(run: Run, agentMaxTurns: number, agent?: Agent): number {
  const turns = run.spec.budget?.turns ?? agent?.spec.budget?.turns;
  return turns !== undefined ? Math.min(turns, agentMaxTurns) : agentMaxTurns;
}

/** The session's budget (`limits.budget`); unlimited when unset. */
export function sessionBudget(session: Session | undefined): Budget {
  return session?.spec.limits?.budget ?? {};
}

/** A run's usage as its status records it. */
export function usageOf(run: Run): Usage {
  const u = run.status?.usage;
  return { tokens: (u?.inputTokens ?? 0) + (u?.outputTokens ?? 0), usd: u?.costUSD ?? 0, turns: run.status?.turns ?? 0 };
}

export function addUsage(a: Usage, b: Usage): Usage {
  return { tokens: a.tokens + b.tokens, usd: a.usd + b.usd, turns: a.turns + b.turns };
}

/** The sum of the runs' usage. */
export function totalUsage(runs: Run[]): Usage {
  return runs.map(usageOf).reduce(addUsage, { tokens: 0, usd: 0, turns: 0 });
}

/** used ≥ share × limit, where dollars added in cents (0.02 + 0.02 vs 0.8 × 0.05) must not miss by a rounding error. */
function reached(used: number, limit: number, share: number): boolean {
  return used >= share * limit - 1e-9;
}

function describe(dimension: keyof Usage, value: number): string {
  if (dimension === 'usd') return `$${value.toFixed(4).replace(/0+$/, '').replace(/\.$/, '')}`;
  return `${value} ${dimension}`;
}

/** Why the usage has used up the budget, or undefined while it has not. `scope` names whose budget it is ("run", `session "s"`). */
export function exhaustion(scope: string, budget: Budget, used: Usage): string | undefined {
  for (const dimension of DIMENSIONS) {
    const limit = budget[dimension];
    if (limit !== undefined && reached(used[dimension], limit, 1)) return `the ${scope} used ${describe(dimension, used[dimension])} of its ${describe(dimension, limit)} budget`;
  }
  return undefined;
}

/** Compares usage before and after a change with the budget. */
export function checkBudget(scope: string, budget: Budget, before: Usage, after: Usage): BudgetVerdict {
  const exhausted = exhaustion(scope, budget, after);
  if (exhausted) return { warnings: [], exhausted };
  const warnings: string[] = [];
  for (const dimension of DIMENSIONS) {
    const limit = budget[dimension];
    if (limit === undefined) continue;
    const used = after[dimension];
    if (reached(used, limit, WARNING_SHARE) && !reached(before[dimension], limit, WARNING_SHARE)) {
      warnings.push(`the ${scope} used ${describe(dimension, used)} of its ${describe(dimension, limit)} budget (${Math.round((used / limit) * 100)}%)`);
    }
  }
  return { warnings };
}

/** The turn that crosses 80% of maxTurns warns; the drivers themselves stop at maxTurns. */
export function turnWarning(turn: number, previous: number, maxTurns: number): string | undefined {
  const line = WARNING_SHARE * maxTurns;
  return turn >= line && previous < line && turn < maxTurns ? `the run took ${turn} of its ${maxTurns} turns (${Math.round((turn / maxTurns) * 100)}%)` : undefined;
}
