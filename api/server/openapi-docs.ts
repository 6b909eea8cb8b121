/**
 * Serving the OpenAPI documents kubectl uses for `explain`, validation and patch decisions:
 * `/openapi/v3` (an index whose URLs carry each document's hash), the v3 documents it lists and
 * `/openapi/v2`. Each document is serialised and hashed once; responses carry an ETag, answer
 * `If-None-Match` with 304, and a request whose `?hash=` matches may be cached forever.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  openApiDocumentHash,
  openApiV2,
  openApiV3Documents,
  openApiV3Index,
  type OpenApiV3Path,
} from '../../resources/openapi.js';
import type { Scheme } from '../../resources/scheme.js';
import { ApiError, StatusReason } from '../errors.js';

interface Doc {
  body: string;
  hash: string;
  etag: string;
}

function doc(value: unknown): Doc {
  const hash = openApiDocumentHash(value);
  return { body: JSON.stringify(value), hash, etag: `"${hash}"` };
}

/** The OpenAPI documents of a scheme, built on first use and kept. */
export class OpenApiDocs {
  private v3?: Map<string, Doc>;
  private index?: Doc;
  private v2?: Doc;

  constructor(private readonly scheme: Scheme) {}

  private buildV3(): Map<string, Doc> {
    const docs = new Map<string, Doc>();
    const hashes: Partial<Record<OpenApiV3Path, string>> = {};
    for (const [path, value] of Object.entries(openApiV3Documents(this.scheme)) as [OpenApiV3Path, object][]) {
      const d = doc(value);
      docs.set(path, d);
      hashes[path] = d.hash;
    }
    this.index = doc(openApiV3Index(hashes));
    return docs;
  }

  /** Answers `GET /openapi/v3` (the index). */
  serveIndex(req: IncomingMessage, res: ServerResponse): void {
    this.v3 ??= this.buildV3();
    send(req, res, this.index!, false);
  }

  /** Answers `GET /openapi/v3/<path>`; 404 for a path the index does not list. */
  serveV3(path: string, req: IncomingMessage, res: ServerResponse, hashParam: string | null): void {
    this.v3 ??= this.buildV3();
    const d = this.v3.get(path);
    if (!d) throw new ApiError(StatusReason.NotFound, 'the server could not find the requested resource');
    send(req, res, d, hashParam === d.hash);
  }

  /**
   * Answers `GET /openapi/v2` in JSON. kubectl asks for protobuf only; refusing that (406) makes
   * it fall back cleanly to JSON merge patches for our kinds.
   */
  serveV2(req: IncomingMessage, res: ServerResponse): void {
    if (!acceptsJson(req.headers.accept)) {
      throw new ApiError(StatusReason.NotAcceptable, 'only application/json is served for /openapi/v2');
    }
    this.v2 ??= doc(openApiV2(this.scheme));
    send(req, res, this.v2, false);
  }
}

function send(req: IncomingMessage, res: ServerResponse, d: Doc, immutable: boolean): void {
  const headers: Record<string, string | number> = {
    etag: d.etag,
    'cache-control': immutable ? 'public, immutable, max-age=31536000' : 'no-cache, private',
    vary: 'Accept',
  };
  if (req.headers['if-none-match'] === d.etag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  res.writeHead(200, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(d.body) });
  res.end(d.body);
}

function acceptsJson(accept: string | undefined): boolean {
  if (!accept) return true;
  return accept.split(',').some((t) => {
    const base = t.split(';')[0]!.trim();
    return base === 'application/json' || base === '*/*' || base === 'application/*';
  });
}
