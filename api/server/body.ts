/**
 * Request bodies: reading with a size limit (413 past it) and decoding JSON or YAML into a value,
 * with a 400 that names what is wrong when it does not parse.
 */
import type { IncomingMessage } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { ApiError, StatusReason } from '../errors.js';

/** kube-apiserver's limit for a write request body. */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;

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
    req.on('end', () => (over ? reject(tooLarge(limit)) : resolve(Buffer.concat(chunks, size))));
    req.on('error', reject);
  });
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.trim();
}

/** Decodes a JSON body; an empty or malformed one is 400 naming the problem. */
export function decodeJson(body: Buffer): unknown {
  if (body.length === 0) throw new ApiError(StatusReason.BadRequest, 'the request body is empty; a JSON object is required');
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new ApiError(StatusReason.BadRequest, `error decoding JSON body: ${firstLine((err as Error).message)}`);
  }
}

/** Decodes a YAML (or JSON, a subset) body, as apply patches and YAML writes send. */
export function decodeYaml(body: Buffer): unknown {
  if (body.length === 0) throw new ApiError(StatusReason.BadRequest, 'the request body is empty; a YAML object is required');
  try {
    return parseYaml(body.toString('utf8'), { uniqueKeys: true });
  } catch (err) {
    throw new ApiError(StatusReason.BadRequest, `error decoding YAML body: ${firstLine((err as Error).message)}`);
  }
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
