/**
 * Serving the OpenAPI documents kubectl uses for `explain`, validation and patch decisions:
 * `/openapi/v3` (an index whose URLs carry each document's hash), the v3 documents it lists and
 * `/openapi/v2`. Each document is serialised and hashed once; responses carry an ETag, answer
 * `If-None-Match` with 304, and a request whose `?hash=` matches may be cached forever.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  openApiDocumentHash,
  openApiV2,
  openApiV3Documents,
  openApiV3Index,
  openApiV3Paths,
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
  private v2Protobuf?: ProtobufDoc;

  constructor(private readonly scheme: Scheme) {}

  private buildV3(): Map<string, Doc> {
    const docs = new Map<string, Doc>();
    const hashes: Record<string, string> = {};
    for (const [path, value] of Object.entries(openApiV3Documents(this.scheme))) {
      const d = doc(value);
      docs.set(path, d);
      hashes[path] = d.hash;
    }
    this.index = doc(openApiV3Index(openApiV3Paths(this.scheme), hashes));
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
   * Answers `GET /openapi/v2`: the whole document in JSON, or in protobuf (what kubectl asks for)
   * a document without definitions. kubectl reads v2 only for what v3 lacks — a kind the server
   * does not have, while validating a manifest — and must then get a document it can parse, so
   * that it goes on to say the kind is not found. Our kinds stay out of it on purpose: kubectl
   * would read a v2 definition as a licence to send strategic merge patches, which the server
   * refuses; without one it sends JSON merge patches, as for any custom resource.
   */
  serveV2(req: IncomingMessage, res: ServerResponse): void {
    if (acceptsV2Protobuf(req.headers.accept)) {
      this.v2Protobuf ??= protobufDoc(encodeOpenApiV2Info(V2_INFO));
      send(req, res, this.v2Protobuf, false, OPENAPI_V2_PROTOBUF_RESPONSE);
      return;
    }
    if (!acceptsJson(req.headers.accept)) {
      throw new ApiError(StatusReason.NotAcceptable, `only application/json and ${OPENAPI_V2_PROTOBUF} are served for /openapi/v2`);
    }
    this.v2 ??= doc(openApiV2(this.scheme));
    send(req, res, this.v2, false);
  }
}

function send(req: IncomingMessage, res: ServerResponse, d: Doc | ProtobufDoc, immutable: boolean, contentType = 'application/json'): void {
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
  res.writeHead(200, { ...headers, 'content-type': contentType, 'content-length': Buffer.byteLength(d.body) });
  res.end(d.body);
}

/** The media type of gnostic's OpenAPI v2 protobuf (`openapi_v2.Document`), as client-go asks for it. */
export const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';

/** The same, as kube-apiserver names it in its answer (Go's mime parser refuses the '@'). */
const OPENAPI_V2_PROTOBUF_RESPONSE = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

/** What the protobuf v2 document says of itself (the JSON document's info). */
const V2_INFO = { swagger: '2.0', title: 'Sidekicks', version: 'unversioned' };

interface ProtobufDoc {
  body: Buffer;
  etag: string;
}

function protobufDoc(body: Buffer): ProtobufDoc {
  return { body, etag: `"${createHash('sha512').update(body).digest('hex').toUpperCase()}"` };
}

/** A length-delimited protobuf field: key (field number, wire type 2), varint length, bytes. */
function lengthDelimited(field: number, bytes: Buffer): Buffer {
  const varint = (n: number): number[] => {
    const out: number[] = [];
    while (n > 0x7f) {
      out.push((n & 0x7f) | 0x80);
      n >>>= 7;
    }
    out.push(n);
    return out;
  };
  return Buffer.concat([Buffer.from(varint((field << 3) | 2)), Buffer.from(varint(bytes.length)), bytes]);
}

/**
 * Encodes `openapi_v2.Document{swagger = 1, info = 2 {title = 1, version = 2}, paths = 8 {}}`
 * (gnostic's OpenAPIv2.proto): a valid document with no paths and no definitions.
 */
export function encodeOpenApiV2Info(info: { swagger: string; title: string; version: string }): Buffer {
  const infoMessage = Buffer.concat([lengthDelimited(1, Buffer.from(info.title)), lengthDelimited(2, Buffer.from(info.version))]);
  return Buffer.concat([lengthDelimited(1, Buffer.from(info.swagger)), lengthDelimited(2, infoMessage), lengthDelimited(8, Buffer.alloc(0))]);
}

function acceptsV2Protobuf(accept: string | undefined): boolean {
  return (accept ?? '').split(',').some((t) => t.split(';')[0]!.trim() === OPENAPI_V2_PROTOBUF);
}

function acceptsJson(accept: string | undefined): boolean {
  if (!accept) return true;
  return accept.split(',').some((t) => {
    const base = t.split(';')[0]!.trim();
    return base === 'application/json' || base === '*/*' || base === 'application/*';
  });
}
