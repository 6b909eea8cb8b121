/**
 * How a node (`sidekick serve`) attaches to its control plane: refuse plain http off this machine,
 * check the control plane's identity (against the registration token's fingerprint the first time,
 * against the pinned one later), register once with the one-time token, then exchange signed
 * assertions for short-lived access tokens, each verified with the pinned key. Nothing is cached
 * before the control plane accepted the registration. docs/decisions/0029-runtime-node-identity.md.
 */
import { randomUUID, type JsonWebKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { importJWK, jwtVerify, SignJWT } from 'jose';
import { isLoopbackHost } from '../loopback.js';
import { TOKEN_ISSUER } from '../auth/signed-tokens.js';
import { fingerprintOfInfo, refuseServerProtocol } from './identity.js';
import { loadCredentials, saveCredentials, type NodeCredentials } from './node-credentials.js';
import { nodeHttp, statusMessage, type NodeHttpRequest, type NodeHttpResponse } from './node-http.js';
import { generateNodeKey, signWithNodeKey } from './node-key.js';
import { HEADER_PROTOCOL, RUNTIME_API_PREFIX, RUNTIME_PROTOCOL, nodePrincipal, type RuntimeInfo } from './protocol.js';
import { parseRegistrationToken } from './registration-tokens.js';
import type { RegistrationRequest } from './registration.js';

/** A refusal to connect: one line, meant for the operator. */
export class NodeConnectionError extends Error {
  /** The HTTP status of a refusal by the control plane (undefined when it did not answer). */
  constructor(message: string, readonly status?: number) {
    super(message);
    this.name = 'NodeConnectionError';
  }
}

export interface ConnectNodeOptions {
  url: string;
  /** The one-time registration token; not needed once credentials for url + name are cached. */
  token?: string;
  name: string;
  /** Trust the control plane's current identity even though it differs from the pinned one. */
  repin?: boolean;
  allowInsecure?: boolean;
  credentialsFile: string;
  /** PEM CA bundle for a control plane with a private CA. */
  caFile?: string;
  registration: Pick<RegistrationRequest, 'labels' | 'maxRuns' | 'capabilities' | 'nodeInfo'>;
  log?: (line: string) => void;
}

/** A node attached to its control plane. */
export interface NodeConnection {
  name: string;
  url: string;
  owner: string;
  info: RuntimeInfo;
  /** A valid access token (cached; refreshed before it expires). */
  accessToken(): Promise<string>;
  /** The node key's signature of `data` (base64url). */
  sign(data: Uint8Array): string;
  publicKey: JsonWebKey;
  /** A request to the control plane with the node's access token (`path` from the server root). */
  request(path: string, init?: NodeHttpRequest): Promise<NodeHttpResponse>;
}

/** Refresh an access token this long before it expires. */
const REFRESH_MARGIN_MS = 120_000;

/** Attaches to the control plane, registering first when needed. */
export async function connectNode(opts: ConnectNodeOptions): Promise<NodeConnection> {
  const log = opts.log ?? (() => undefined);
  const url = checkUrl(opts.url, opts.allowInsecure ?? false, log);
  const ca = opts.caFile ? await readCa(opts.caFile) : undefined;
  const info = await fetchInfo(url, ca);
  const fingerprint = fingerprintOfInfo(info);
  if (!fingerprint || fingerprint !== info.identity.fingerprint) {
    throw new NodeConnectionError(`the control plane at ${url.origin} presents an identity whose key does not match its fingerprint: refusing it`);
  }
  const cached = await loadCredentials(opts.credentialsFile, url.href, opts.name);
  if (cached) {
    if (cached.controlPlane.fingerprint !== fingerprint) {
      if (!opts.repin) {
        throw new NodeConnectionError(
          `the control plane's identity changed: ${url.origin} presents ${fingerprint}, but node "${opts.name}" pinned ${cached.controlPlane.fingerprint} at registration. ` +
            'If the control plane was rebuilt on purpose, `sidekick serve --repin` trusts the new identity; otherwise something is in between',
        );
      }
      log(`WARNING: --repin: trusting the control plane's new identity ${fingerprint} (was ${cached.controlPlane.fingerprint})`);
    }
    const pinned: NodeCredentials = { ...cached, controlPlane: { fingerprint, publicKey: info.identity.publicKey, alg: info.identity.alg } };
    const conn = new Connection(url, ca, info, pinned);
    try {
      await conn.accessToken();
    } catch (err) {
      // A revoked or forgotten node registers anew when it was given a fresh token.
      if (!opts.token || !(err instanceof NodeConnectionError) || err.status !== 401) throw err;
      log(`node ${opts.name}: ${err.message}; registering again with the given token`);
      return register(opts, url, ca, info, fingerprint, log);
    }
    if (cached.controlPlane.fingerprint !== fingerprint) await saveCredentials(opts.credentialsFile, pinned);
    return conn;
  }
  if (!opts.token) {
    throw new NodeConnectionError(`node "${opts.name}" is not registered with ${url.origin} (nothing in ${opts.credentialsFile}): pass --token with a registration token (sidekick token create --node ${opts.name})`);
  }
  return register(opts, url, ca, info, fingerprint, log);
}

function checkUrl(raw: string, allowInsecure: boolean, log: (line: string) => void): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new NodeConnectionError(`--url: not a URL: ${JSON.stringify(raw)} (expected https://HOST[:PORT])`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new NodeConnectionError(`--url: expected http:// or https://, got ${url.protocol}//`);
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    if (!allowInsecure) {
      throw new NodeConnectionError(`--url: refusing plain http to ${url.hostname}: tokens and keys would cross the network in the clear; use https, or pass --allow-insecure`);
    }
    log(`WARNING: --allow-insecure: talking to ${url.origin} over plain http; tokens and run data cross the network unencrypted`);
  }
  // Paths are absolute from the server root; a trailing path in --url is not supported.
  return new URL(url.origin + '/');
}

async function readCa(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new NodeConnectionError(`--certificate-authority ${path}: ${(err as Error).message}`);
  }
}

async function call(url: URL, path: string, req: NodeHttpRequest, ca: Buffer | undefined): Promise<NodeHttpResponse> {
  try {
    return await nodeHttp(new URL(path, url), { ...req, headers: { [HEADER_PROTOCOL]: String(RUNTIME_PROTOCOL.current), ...req.headers } }, ca);
  } catch (err) {
    throw new NodeConnectionError(`cannot reach the control plane at ${url.origin}: ${(err as Error).message}`);
  }
}

async function fetchInfo(url: URL, ca: Buffer | undefined): Promise<RuntimeInfo> {
  const res = await call(url, `${RUNTIME_API_PREFIX}/info`, {}, ca);
  if (res.status !== 200) throw new NodeConnectionError(`${url.origin} did not answer as a sidekick control plane (GET ${RUNTIME_API_PREFIX}/info: ${statusMessage(res)})`);
  const info = JSON.parse(res.body) as RuntimeInfo;
  const why = refuseServerProtocol(info.protocol);
  if (why) throw new NodeConnectionError(why);
  return info;
}

async function register(opts: ConnectNodeOptions, url: URL, ca: Buffer | undefined, info: RuntimeInfo, fingerprint: string, log: (line: string) => void): Promise<NodeConnection> {
  const parsed = parseRegistrationToken(opts.token ?? '');
  if (!parsed) throw new NodeConnectionError('--token: not a registration token (expected SKN1<fingerprint>::<id>.<secret>, from sidekick token create --node NAME)');
  // Checked before the secret is sent: a server that is not the token's never sees it.
  if (parsed.fingerprint !== fingerprint) {
    throw new NodeConnectionError(`--token: the registration token is for control plane ${parsed.fingerprint}, but ${url.origin} presents ${fingerprint}: wrong --url, or something in between; the token was not sent`);
  }
  const keys = generateNodeKey();
  const body = JSON.stringify({ name: opts.name, publicKey: keys.publicKey, protocol: RUNTIME_PROTOCOL.current, ...opts.registration });
  const res = await call(url, `${RUNTIME_API_PREFIX}/register`, { method: 'POST', headers: { authorization: `Bearer ${opts.token}` }, body }, ca);
  if (res.status !== 201) throw new NodeConnectionError(`the control plane at ${url.origin} refused the registration of "${opts.name}": ${statusMessage(res)}`);
  const answer = JSON.parse(res.body) as { owner: string; token: string; expiresAt: string };
  const creds: NodeCredentials = {
    url: url.href,
    name: opts.name,
    owner: answer.owner,
    privateKey: keys.privateKey,
    publicKey: keys.publicKey,
    controlPlane: { fingerprint, publicKey: info.identity.publicKey, alg: info.identity.alg },
    registeredAt: new Date().toISOString(),
  };
  const conn = new Connection(url, ca, info, creds);
  await conn.accept(answer.token);
  await saveCredentials(opts.credentialsFile, creds);
  log(`node ${opts.name}: registered with ${url.origin} (owner ${answer.owner}); credentials in ${opts.credentialsFile}`);
  return conn;
}

class Connection implements NodeConnection {
  readonly name: string;
  readonly url: string;
  readonly owner: string;
  readonly publicKey: JsonWebKey;
  private current?: { token: string; refreshAt: number };
  private pending?: Promise<string>;

  constructor(
    private readonly base: URL,
    private readonly ca: Buffer | undefined,
    readonly info: RuntimeInfo,
    private readonly creds: NodeCredentials,
  ) {
    this.name = creds.name;
    this.url = base.href;
    this.owner = creds.owner;
    this.publicKey = creds.publicKey;
  }

  sign(data: Uint8Array): string {
    return signWithNodeKey(this.creds.privateKey, data);
  }

  accessToken(): Promise<string> {
    if (this.current && Date.now() < this.current.refreshAt) return Promise.resolve(this.current.token);
    this.pending ??= this.exchange().finally(() => (this.pending = undefined));
    return this.pending;
  }

  async request(path: string, init: NodeHttpRequest = {}): Promise<NodeHttpResponse> {
    const token = await this.accessToken();
    return call(this.base, path, { ...init, headers: { authorization: `Bearer ${token}`, ...init.headers } }, this.ca);
  }

  /** Verifies an access token with the PINNED key and caches it: a swapped control plane's tokens never verify. */
  async accept(token: string): Promise<string> {
    const { controlPlane } = this.creds;
    let exp: number;
    try {
      const key = await importJWK({ ...controlPlane.publicKey, alg: controlPlane.alg } as Parameters<typeof importJWK>[0], controlPlane.alg);
      const { payload } = await jwtVerify(token, key, { algorithms: [controlPlane.alg], issuer: TOKEN_ISSUER, subject: nodePrincipal(this.name), clockTolerance: 60 });
      exp = payload.exp! * 1000;
    } catch (err) {
      throw new NodeConnectionError(`the control plane's access token does not verify with its pinned identity ${controlPlane.fingerprint}: ${(err as Error).message}`);
    }
    this.current = { token, refreshAt: Math.max(Date.now(), exp - Math.min(REFRESH_MARGIN_MS, (exp - Date.now()) / 3)) };
    return token;
  }

  private async exchange(): Promise<string> {
    const key = await importJWK({ ...this.creds.privateKey, alg: 'EdDSA' } as Parameters<typeof importJWK>[0], 'EdDSA');
    const now = Math.floor(Date.now() / 1000);
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT' })
      .setIssuer(this.name)
      .setSubject(this.name)
      .setAudience(this.creds.controlPlane.fingerprint)
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .setJti(randomUUID())
      .sign(key);
    const res = await call(this.base, `${RUNTIME_API_PREFIX}/token`, { method: 'POST', body: JSON.stringify({ assertion }) }, this.ca);
    if (res.status !== 200) throw new NodeConnectionError(`the control plane at ${this.base.origin} refused node "${this.name}": ${statusMessage(res)}`, res.status);
    return this.accept((JSON.parse(res.body) as { token: string }).token);
  }
}
