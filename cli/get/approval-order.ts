/**
 * The order `sidekick get approvals` lists approvals in: those still waiting for someone first,
 * oldest first (the next one to answer on top), then the settled ones, oldest first. A list in
 * name order would bury the one question that matters among yesterday's decisions.
 */
import type { ResourceRef, Table } from '../../api/client/types.js';
import type { KubeObject } from '../../resources/meta.js';

/** True for the approvals collection (the order applies to lists of it, not to named objects). */
export function isApprovals(ref: ResourceRef): boolean {
  return ref.group === 'sidekicks.dev' && ref.plural === 'approvals';
}

function compare(a: { pending: boolean; created: string; name: string }, b: { pending: boolean; created: string; name: string }): number {
  if (a.pending !== b.pending) return a.pending ? -1 : 1;
  if (a.created !== b.created) return a.created < b.created ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function keyOf(obj: KubeObject | undefined, phase: unknown): { pending: boolean; created: string; name: string } {
  return { pending: phase === 'Pending', created: obj?.metadata?.creationTimestamp ?? '', name: obj?.metadata?.name ?? '' };
}

/** The table's rows, pending first, then by creation time (the phase read from the Phase cell). */
export function orderApprovalRows(table: Table): Table['rows'] {
  const phaseColumn = table.columnDefinitions.findIndex((c) => c.name.toLowerCase() === 'phase');
  const keyed = table.rows.map((row) => ({ row, key: keyOf(row.object as KubeObject | undefined, phaseColumn >= 0 ? row.cells[phaseColumn] : undefined) }));
  return keyed.sort((a, b) => compare(a.key, b.key)).map((k) => k.row);
}

/** The approvals, pending first, then by creation time. */
export function orderApprovals<T extends KubeObject>(items: T[]): T[] {
  const keyed = items.map((obj) => ({ obj, key: keyOf(obj, (obj.status as { phase?: string } | undefined)?.phase) }));
  return keyed.sort((a, b) => compare(a.key, b.key)).map((k) => k.obj);
}
