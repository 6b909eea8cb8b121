/** `--dry-run`, as `apply`, `delete`, `patch`, `label` and `annotate` take it. */
import { UsageError } from 'clipanion';
import type { DryRun } from './applier.js';

/** Parses `--dry-run` like kubectl (a bare flag means client). */
export function parseDryRun(value: string | boolean | undefined): DryRun {
  if (value === undefined || value === false) return 'none';
  if (value === true) return 'client';
  if (value === 'none' || value === 'client' || value === 'server') return value;
  throw new UsageError(`Invalid dry-run value (${value}). Must be "none", "server", or "client".`);
}
