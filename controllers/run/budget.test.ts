import { describe, it, expect } from '@jest/globals';
import { checkBudget, exhaustion, runBudget, runMaxTurns, turnWarning } from './budget.js';
import type { Run } from '../../resources/kinds/run.js';
import type { Agent } from '../../resources/kinds/agent.js';

const use = (tokens: number, usd = 0, turns = 0) => ({ tokens, usd, turns });

describe('budgets', () => {
  it('warns once, when usage crosses 80%, and not again above it', () => {
    expect(checkBudget('run', { tokens: 1000 }, use(700), use(800))).toEqual({ warnings: ['the run used 800 tokens of its 1000 tokens budget (80%)'] });
    expect(checkBudget('run', { tokens: 1000 }, use(800), use(900))).toEqual({ warnings: [] });
    expect(checkBudget('run', { tokens: 1000 }, use(0), use(799))).toEqual({ warnings: [] });
  });

  it('reports exhaustion at 100% instead of a warning', () => {
    expect(checkBudget('run', { tokens: 1000 }, use(700), use(1000))).toEqual({ warnings: [], exhausted: 'the run used 1000 tokens of its 1000 tokens budget' });
  });

  it('adds dollars without missing a line by a rounding error', () => {
    expect(checkBudget('session "s"', { usd: 0.05 }, use(0, 0.02), use(0, 0.02 + 0.02)).warnings).toEqual(['the session "s" used $0.04 of its $0.05 budget (80%)']);
    expect(exhaustion('session "s"', { usd: 0.3 }, use(0, 0.1 + 0.2))).toBe('the session "s" used $0.3 of its $0.3 budget');
    expect(exhaustion('run', { usd: 1 }, use(5_000_000, 0.99))).toBeUndefined();
  });

  it('takes the run\'s budget, else its agent\'s, with 100k tokens by default', () => {
    const run = (budget?: Run['spec']['budget']) => ({ spec: { session: 's', agent: 'a', prompt: 'p', ...(budget ? { budget } : {}) } }) as Run;
    const agent = { spec: { driver: 'Scripted', budget: { usd: 2 } } } as Agent;
    expect(runBudget(run())).toEqual({ tokens: 100_000 });
    expect(runBudget(run(), agent)).toEqual({ tokens: 100_000, usd: 2 });
    expect(runBudget(run({ tokens: 5 }), agent)).toEqual({ tokens: 5 });
  });

  it('counts turns against a session turn budget, and a run turn budget lowers the agent\'s maxTurns', () => {
    expect(checkBudget('session "s"', { turns: 5 }, use(0, 0, 3), use(0, 0, 4)).warnings).toEqual(['the session "s" used 4 turns of its 5 turns budget (80%)']);
    expect(exhaustion('session "s"', { turns: 5 }, use(0, 0, 5))).toBe('the session "s" used 5 turns of its 5 turns budget');
    const run = (turns?: number) => ({ spec: { session: 's', agent: 'a', prompt: 'p', ...(turns ? { budget: { turns } } : {}) } }) as Run;
    expect(runMaxTurns(run(), 50)).toBe(50);
    expect(runMaxTurns(run(3), 50)).toBe(3);
    expect(runMaxTurns(run(80), 50)).toBe(50);
  });

  it('warns on the turn that crosses 80% of maxTurns, not on the last one', () => {
    expect(turnWarning(40, 39, 50)).toBe('the run took 40 of its 50 turns (80%)');
    expect(turnWarning(41, 40, 50)).toBeUndefined();
    expect(turnWarning(1, 0, 1)).toBeUndefined();
  });
});
