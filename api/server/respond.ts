/**
 * Writing responses: JSON bodies, `Warning` headers and every failure as a Kubernetes `Status`
 * with the matching HTTP code — kubectl and client-go read errors only in that shape.
 */
import type { ServerResponse } from 'node:http';
import { SelectorError } from '../../resources/selectors.js';
import { ApiError, StatusReason, type Status } from '../errors.js';

/** Writes a JSON body with an exact Content-Length. */
export function writeJson(res: ServerResponse, code: number, body: unknown, warnings?: readonly string[]): void {
  writeJsonText(res, code, JSON.stringify(body), warnings);
}

/** A Status that tells the client when to come back (503 busy store, 429) carries `Retry-After`, as kube-apiserver sends it. */
function retryAfter(res: ServerResponse, err: ApiError): void {
  const seconds = err.details?.retryAfterSeconds;
  if (seconds !== undefined && !res.headersSent) res.setHeader('retry-after', String(seconds));
}

/** Writes JSON that is already text (e.g. a list assembled from stored objects). */
export function writeJsonText(res: ServerResponse, code: number, payload: string, warnings?: readonly string[]): void {
  const headers: Record<string, string | string[] | number> = {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
    'cache-control': 'no-cache, private',
  };
  if (warnings && warnings.length > 0) headers.warning = warningHeaders(warnings);
  res.writeHead(code, headers);
  res.end(payload);
}

/** `299 - "text"` values, de-duplicated, as kube-apiserver sends them (kubectl prints `Warning: text`). */
export function warningHeaders(warnings: readonly string[]): string[] {
  return [...new Set(warnings)].map((w) => `299 - ${JSON.stringify(w)}`);
}

/** A successful Status, as DELETE answers when the object is gone. */
export function successStatus(details: Status['details']): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details };
}

/** Maps any thrown value to an ApiError; unexpected errors become 500 InternalError. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof SelectorError) return new ApiError(StatusReason.BadRequest, err.message);
  if (typeof err === 'object' && err !== null && typeof (err as ApiError).reason === 'string' && typeof (err as ApiError).code === 'number') {
    const e = err as ApiError;
    return new ApiError(e.reason, e.message, e.details, e.code);
  }
  return new ApiError(StatusReason.InternalError, `Internal error occurred: ${err instanceof Error ? err.message : String(err)}`);
}

/** Writes an error as a Status; a response already under way is cut instead (nothing else is possible). */
export function writeError(res: ServerResponse, err: unknown, warnings?: readonly string[]): ApiError {
  const apiErr = toApiError(err);
  if (res.headersSent) {
    res.destroy();
    return apiErr;
  }
  retryAfter(res, apiErr);
  writeJson(res, apiErr.code, apiErr.toStatus(), warnings);
  return apiErr;
}
