/**
 * Just enough of Kubernetes' protobuf encoding to read a SelfSubjectAccessReview and a
 * SelfSubjectRulesReview: kubectl's typed client posts built-in kinds as
 * `application/vnd.kubernetes.protobuf` (and accepts JSON back), so `kubectl auth can-i` (and its
 * `--list`) needs this. The envelope is `k8s\0` + runtime.Unknown{typeMeta, raw}; raw is
 * the SelfSubjectAccessReview message (k8s.io/api/authorization/v1/generated.proto).
 */
import { ApiError, StatusReason } from '../errors.js';

export const PROTOBUF_CONTENT_TYPE = 'application/vnd.kubernetes.protobuf';

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

/** The length-delimited fields of a message, by field number (repeated fields keep the last). */
function fields(buf: Buffer): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  let i = 0;
  const varint = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (i >= buf.length) throw new Error('truncated varint');
      const b = buf[i++]!;
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
      if (shift > 63) throw new Error('varint too long');
    }
  };
  while (i < buf.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    switch (key & 7) {
      case 0:
        varint();
        break;
      case 1:
        i += 8;
        break;
      case 5:
        i += 4;
        break;
      case 2: {
        const len = varint();
        if (i + len > buf.length) throw new Error('truncated field');
        out.set(field, buf.subarray(i, i + len));
        i += len;
        break;
      }
      default:
        throw new Error(`unsupported wire type ${key & 7}`);
    }
  }
  return out;
}

function strings(msg: Buffer | undefined, names: string[]): Record<string, string> {
  const f = msg ? fields(msg) : new Map<number, Buffer>();
  const out: Record<string, string> = {};
  names.forEach((name, i) => {
    const v = f.get(i + 1)?.toString('utf8');
    if (v) out[name] = v;
  });
  return out;
}

/**
 * Decodes a protobuf SelfSubjectRulesReview into its JSON shape (apiVersion, kind, spec); its
 * spec is SelfSubjectRulesReviewSpec{namespace = 1}.
 */
export function decodeSelfSubjectRulesReview(body: Buffer): Record<string, unknown> {
  try {
    const unknown = envelope(body);
    const typeMeta = strings(unknown.get(1), ['apiVersion', 'kind']);
    const spec = fields(unknown.get(2) ?? Buffer.alloc(0)).get(2);
    return { ...typeMeta, spec: strings(spec, ['namespace']) };
  } catch (err) {
    throw new ApiError(StatusReason.BadRequest, `error decoding protobuf body: ${(err as Error).message}`);
  }
}

/** The fields of the runtime.Unknown inside the `k8s\0` envelope. */
function envelope(body: Buffer): Map<number, Buffer> {
  if (body.length < MAGIC.length || !body.subarray(0, MAGIC.length).equals(MAGIC)) throw new Error('missing the k8s protobuf envelope');
  return fields(body.subarray(MAGIC.length));
}

/** Decodes a protobuf SelfSubjectAccessReview into its JSON shape (apiVersion, kind, spec). */
export function decodeSelfSubjectAccessReview(body: Buffer): Record<string, unknown> {
  try {
    const unknown = envelope(body);
    const typeMeta = strings(unknown.get(1), ['apiVersion', 'kind']);
    const spec = fields(unknown.get(2) ?? Buffer.alloc(0)).get(2);
    const specFields = spec ? fields(spec) : new Map<number, Buffer>();
    const resource = specFields.get(1);
    const nonResource = specFields.get(2);
    return {
      ...typeMeta,
      spec: {
        ...(resource ? { resourceAttributes: strings(resource, ['namespace', 'verb', 'group', 'version', 'resource', 'subresource', 'name']) } : {}),
        ...(nonResource ? { nonResourceAttributes: strings(nonResource, ['path', 'verb']) } : {}),
      },
    };
  } catch (err) {
    throw new ApiError(StatusReason.BadRequest, `error decoding protobuf body: ${(err as Error).message}`);
  }
}
