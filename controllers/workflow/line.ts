/**
 * The line of commits a phase builds on. A phase's agent work lands on its own branch; the next
 * attempt of a phase starts from the head of its line — the newest commit recorded by the phase
 * itself, the phases it depends on (directly or not) and the phases after it that ran before a
 * GoBackTo sent the workflow back — so an implement → review → fix loop works on one line of
 * commits. Where several parallel lines meet (a fan-in), the newest one is taken: lines are never
 * merged.
 */
import { ancestors, descendants, topologicalOrder, type PhaseGraph } from '../../resources/workflow/graph.js';
import type { PhaseStatus } from './plan.js';

export interface LineHead {
  /** The commit the phase starts from. */
  commit: string;
  /** The phase whose attempt made it. */
  phase: string;
  branch?: string;
}

/**
 * The head of `phase`'s line, from the outputs (`headCommit`, `branch`) recorded in status; the
 * newest by the time its phase last finished, later phases winning ties. Undefined when nothing on
 * the line produced a commit (the phase starts from the mount's baseRef).
 */
export function lineHead(g: PhaseGraph, phases: Record<string, PhaseStatus>, phase: string): LineHead | undefined {
  const line = new Set([phase, ...ancestors(g, phase), ...descendants(g, phase)]);
  const order = topologicalOrder(g);
  let best: { head: LineHead; at: number; index: number } | undefined;
  order.forEach((name, index) => {
    if (!line.has(name)) return;
    const ps = phases[name];
    const commit = ps?.outputs?.headCommit;
    if (!commit) return;
    const at = ps.finishedAt ? Date.parse(ps.finishedAt) : 0;
    if (best && (at < best.at || (at === best.at && index < best.index))) return;
    best = { head: { commit, phase: name, ...(ps.outputs?.branch ? { branch: ps.outputs.branch } : {}) }, at, index };
  });
  return best?.head;
}
