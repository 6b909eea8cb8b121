/**
 * Turns any failure into what kubectl prints: `Error from server (Reason): message` for API
 * errors, `The Kind "name" is invalid: ...` for Invalid, and one line `error: ...` for the rest.
 */
import { UsageError } from 'clipanion';

interface StatusLike {
  reason: string;
  message: string;
  code?: number;
  details?: { kind?: string; name?: string; causes?: { field?: string; message: string }[] };
}

/** True when `err` carries a Kubernetes Status reason (an ApiError from any module instance). */
export function isStatusError(err: unknown): err is StatusLike & Error {
  return typeof err === 'object' && err !== null && typeof (err as StatusLike).reason === 'string' && typeof (err as StatusLike).message === 'string' && typeof (err as StatusLike).code === 'number';
}

/** A user-facing failure whose message is already complete (printed without `error: `). */
export class PrintedError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'PrintedError';
  }
}

/** A command that failed after reporting its own errors; carries only the exit code. */
export class ExitCodeError extends Error {
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
    this.name = 'ExitCodeError';
  }
}

/** Formats an error as kubectl would print it (without trailing newline). */
export function formatError(err: unknown): string {
  if (err instanceof PrintedError) return err.message;
  if (isStatusError(err)) {
    const causes = err.details?.causes ?? [];
    if (err.reason === 'Invalid' && (err.details?.kind || err.details?.name)) {
      const head = `The ${err.details?.kind ?? ''} "${err.details?.name ?? ''}" is invalid`;
      if (causes.length === 1) return `${head}: ${causeText(causes[0])}`;
      if (causes.length > 1) return `${head}: \n${causes.map((c) => `* ${causeText(c)}`).join('\n')}`;
    }
    return `Error from server (${err.reason}): ${err.message}`;
  }
  if (err instanceof UsageError) return `error: ${err.message}`;
  if (err instanceof Error) return `error: ${err.message}`;
  return `error: ${String(err)}`;
}

function causeText(c: { field?: string; message: string }): string {
  return c.field ? `${c.field}: ${c.message}` : c.message;
}
