/**
 * A self-signed TLS certificate for the daemon's loopback listener, made with node:crypto alone.
 *
 * Why: kubectl (client-go) never sends a bearer token over plain http (kubernetes/kubectl#744),
 * so a loopback listener must speak https for kubectl to authenticate. The certificate is its own
 * CA (P-256, ECDSA-SHA256) for `127.0.0.1`, `::1` and `localhost`; clients trust it through the
 * kubeconfig's certificate-authority. Node has no certificate builder, hence the small DER
 * encoder below (only the X.509 structures this needs).
 */
import { createPrivateKey, generateKeyPairSync, randomBytes, sign, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../atomic-file.js';

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), length(body.length), body]);
}

const seq = (...c: Buffer[]): Buffer => tlv(0x30, ...c);

function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map(Number);
  const out = [40 * arcs[0]! + arcs[1]!];
  for (const arc of arcs.slice(2)) {
    const chunk: number[] = [arc & 0x7f];
    for (let v = arc >> 7; v > 0; v >>= 7) chunk.unshift(0x80 | (v & 0x7f));
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

function integer(bytes: Buffer): Buffer {
  return tlv(0x02, bytes[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes);
}

/** UTCTime before 2050, GeneralizedTime after, as RFC 5280 requires. */
function time(d: Date): Buffer {
  const iso = d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return d.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`)) : tlv(0x18, Buffer.from(`${iso}Z`));
}

function name(cn: string): Buffer {
  return seq(tlv(0x31, seq(oid('2.5.4.3'), tlv(0x0c, Buffer.from(cn)))));
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return seq(oid(id), ...(critical ? [tlv(0x01, Buffer.from([0xff]))] : []), tlv(0x04, value));
}

const ECDSA_SHA256 = seq(oid('1.2.840.10045.4.3.2'));

/** A PEM certificate and key. */
export interface SelfSigned {
  cert: string;
  key: string;
}

/** Creates a P-256 self-signed certificate for the loopback names, valid for `days`. */
export function createSelfSigned(opts: { days?: number; now?: Date } = {}): SelfSigned {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const now = opts.now ?? new Date();
  const notBefore = new Date(now.getTime() - 60_000);
  const notAfter = new Date(now.getTime() + (opts.days ?? 825) * 86_400_000);
  const serial = randomBytes(16);
  serial[0]! &= 0x7f;
  const san = seq(
    tlv(0x87, Buffer.from([127, 0, 0, 1])),
    tlv(0x87, Buffer.concat([Buffer.alloc(15), Buffer.from([1])])),
    tlv(0x82, Buffer.from('localhost')),
  );
  const tbs = seq(
    tlv(0xa0, integer(Buffer.from([2]))),
    integer(serial),
    ECDSA_SHA256,
    name('sidekick-daemon'),
    seq(time(notBefore), time(notAfter)),
    name('sidekick-daemon'),
    publicKey.export({ type: 'spki', format: 'der' }),
    tlv(
      0xa3,
      seq(
        extension('2.5.29.19', true, seq(tlv(0x01, Buffer.from([0xff])))),
        // digitalSignature and keyCertSign.
        extension('2.5.29.15', true, tlv(0x03, Buffer.from([0x02, 0x84]))),
        extension('2.5.29.37', false, seq(oid('1.3.6.1.5.5.7.3.1'))),
        extension('2.5.29.17', false, san),
      ),
    ),
  );
  const signature = sign('sha256', tbs, privateKey);
  const der = seq(tbs, ECDSA_SHA256, tlv(0x03, Buffer.from([0]), signature));
  const b64 = der.toString('base64').replace(/.{64}/g, '$&\n');
  return {
    cert: `-----BEGIN CERTIFICATE-----\n${b64.trimEnd()}\n-----END CERTIFICATE-----\n`,
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

/**
 * Reads the daemon's loopback certificate, creating it (files 0600, atomically) when missing,
 * unreadable, or expiring within a day.
 */
export async function ensureSelfSigned(certPath: string, keyPath: string, now: Date = new Date()): Promise<SelfSigned> {
  try {
    const [cert, key] = await Promise.all([readFile(certPath, 'utf8'), readFile(keyPath, 'utf8')]);
    const x509 = new X509Certificate(cert);
    createPrivateKey(key);
    if (Date.parse(x509.validTo) - now.getTime() > 86_400_000 && x509.checkPrivateKey(createPrivateKey(key))) return { cert, key };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== undefined && code !== 'ENOENT' && !code.startsWith('ERR_')) throw err;
  }
  const fresh = createSelfSigned({ now });
  await writeFileAtomic(keyPath, fresh.key);
  await writeFileAtomic(certPath, fresh.cert);
  return fresh;
}
