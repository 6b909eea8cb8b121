/**
 * Request bodies: reading with a size limit (413 past it) and decoding JSON or YAML into a value
 * no deeper than a nesting limit (400 past it), with a 400 that names what is wrong when it does
 * not parse. Every decoded body passes here, so nothing after it — validation, merges, field sets,
 * all recursive — can meet a value deep enough to exhaust the stack.
 */
import type { IncomingMessage } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { ApiError, StatusReason } from '../errors.js';

/** kube-apiserver's limit for a write request body. */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;

/**
 * The deepest nesting of objects and arrays a body may have. Our deepest schema is about a dozen
 * levels; the limit leaves room for free-form fields while keeping every recursive walk far from
 * the stack's end (kube-apiserver's decoder stops at 10,000, but it does not recurse on the value).
 */
export const MAX_BODY_DEPTH = 100;

/** Past this much, an oversized body is no longer drained for a clean 413: the connection is cut. */
const DRAIN_LIMIT_BYTES = 64 * 1024 * 1024;

function tooLarge(limit: number): ApiError {
  return new ApiError(StatusReason.RequestEntityTooLarge, `the request body is too large: the limit is ${limit} bytes`);
}

/**
 * Reads the whole body. Over `limit` it rejects 413 — after draining the rest, so the client can
 * read the answer instead of seeing a reset connection.
 */
export function readBody(req: IncomingMessage, limit: number = MAX_BODY_BYTES): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  return new Promise((resolve, reject) => {
    if (declared > DRAIN_LIMIT_BYTES) {
      reject(tooLarge(limit));
      req.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let over = declared > limit;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) over = true;
      if (size > DRAIN_LIMIT_BYTES) {
        reject(tooLarge(limit));
        req.destroy();
        return;
      }
      if (!over) chunks.push(chunk);
    });
    let ended = false;
    req.on('end', () => {
      ended = true;
      if (over) reject(tooLarge(limit));
      else resolve(Buffer.concat(chunks, size));
    });
    // A client that leaves mid-body surfaces as 'error' (ECONNRESET "aborted") and/or an early
    // 'close'; either way the body will never be whole.
    req.on('error', () => reject(new ClientGoneError()));
    req.on('close', () => {
      if (!ended) reject(new ClientGoneError());
    });
  });
}

/**
 * Thrown when the client closes the connection before its body is complete: nobody is left to
 * answer and nothing was done, so it is neither answered nor logged as a failure.
 */
export class ClientGoneError extends Error {
  constructor() {
    super('the client closed the connection before the request body was complete');
    this.name = 'ClientGoneError';
  }
}

function tooDeep(format: string): ApiError {
  return new ApiError(StatusReason.BadRequest, `error decoding ${format} body: nested too deeply: the limit is ${MAX_BODY_DEPTH} levels of objects and arrays`);
}

/** The nesting depth of a decoded value, walked without recursion; stops counting past `limit`. */
export function nestingDepth(value: unknown, limit: number = MAX_BODY_DEPTH): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    const here = depth + 1;
    if (here > deepest) deepest = here;
    if (deepest > limit) return deepest;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, here]);
  }
  return deepest;
}

function checkDepth(value: unknown, format: string): unknown {
  if (nestingDepth(value) > MAX_BODY_DEPTH) throw tooDeep(format);
  return value;
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.trim();
}

/** Decodes a JSON body; an empty or malformed one is 400 naming the problem. */
export function decodeJson(body: Buffer): unknown {
  if (body.length === 0) throw new ApiError(StatusReason.BadRequest, 'the request body is empty; a JSON object is required');
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new ApiError(StatusReason.BadRequest, `error decoding JSON body: ${firstLine((err as Error).message)}`);
  }
  return checkDepth(value, 'JSON');
}

/** Decodes a YAML (or JSON, a subset) body, as apply patches and YAML writes send. */
export function decodeYaml(body: Buffer): unknown {
  if (body.length === 0) throw new ApiError(StatusReason.BadRequest, 'the request body is empty; a YAML object is required');
  let value: unknown;
  try {
    value = parseYaml(body.toString('utf8'), { uniqueKeys: true });
  } catch (err) {
    // The YAML parser recurses: a body deep enough to exhaust the stack is over the limit (the
    // parser reports the RangeError as a parse error of its own).
    if (err instanceof RangeError || /Maximum call stack size exceeded/.test((err as Error).message)) throw tooDeep('YAML');
    throw new ApiError(StatusReason.BadRequest, `error decoding YAML body: ${firstLine((err as Error).message)}`);
  }
  return checkDepth(value, 'YAML');
}

/** Decodes by Content-Type: JSON by default, YAML for `application/yaml` and apply patches. */
export function decodeBody(body: Buffer, contentType: string | undefined): unknown {
  const base = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (base === '' || base === 'application/json' || base.endsWith('+json')) return decodeJson(body);
  if (base === 'application/yaml' || base === 'application/x-yaml' || base === 'text/yaml' || base.endsWith('+yaml')) return decodeYaml(body);
  throw new ApiError(
    StatusReason.UnsupportedMediaType,
    `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml`,
  );
}
