/**
 * `POST /api/runtime/v1/register`: a machine with a one-time registration token becomes a runtime
 * node. The token is checked, the RuntimeNode is created or updated (spec from the request, owner
 * from the token's creator), and — in the same transaction as that write — the token is marked
 * used and the node's public key recorded, so a failed registration leaves the token usable and
 * nothing half-bound. The answer carries the node's first access token.
 */
import type { JsonWebKey } from 'node:crypto';
import { CREATED_BY } from '../auth/model.js';
import { ApiError, isReason, StatusReason } from '../errors.js';
import type { Store } from '../store/store.js';
import { Driver } from '../../resources/kinds/common.js';
import type { RuntimeNode } from '../../resources/kinds/runtimenode.js';
import { bindNodeKey, credentialIn, readStore } from './node-registry.js';
import { nodePrincipal } from './protocol.js';
import { RegistrationTokenError, type RegistrationTokens } from './registration-tokens.js';

/** What a node sends to register. */
export interface RegistrationRequest {
  name: string;
  publicKey: JsonWebKey;
  protocol: number;
  labels: Record<string, string>;
  maxRuns: number;
  capabilities: { driver: string; version?: string; available?: boolean; capabilities?: Record<string, unknown> }[];
  nodeInfo: { operatingSystem: string; architecture: string; kernelVersion: string; isolation: string; sidekickVersion: string };
}

/** Annotation: when the node last registered (also makes every registration a real write). */
export const REGISTERED_AT = 'sidekicks.dev/registered-at';

const NODE_NAME = /^[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?$/;
const DRIVERS = new Set<string>(Object.values(Driver));

function invalid(field: string, message: string): ApiError {
  return new ApiError(StatusReason.Invalid, `registration is invalid: ${field}: ${message}`, { causes: [{ field, message, reason: 'FieldValueInvalid' }] });
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The request in `body`, or a 422 naming the first bad field. */
export function parseRegistration(body: unknown): RegistrationRequest {
  if (!isObject(body)) throw invalid('body', 'expected a JSON object');
  const { name, publicKey, protocol, labels = {}, maxRuns = 5, capabilities = [], nodeInfo } = body;
  if (typeof name !== 'string' || !NODE_NAME.test(name)) throw invalid('name', 'must be a DNS-1123 subdomain (lower-case letters, digits, - and .)');
  if (!isObject(publicKey) || publicKey.kty !== 'OKP' || publicKey.crv !== 'Ed25519' || typeof publicKey.x !== 'string' || 'd' in publicKey) {
    throw invalid('publicKey', 'must be the public half of an Ed25519 key as a JWK ({kty: OKP, crv: Ed25519, x})');
  }
  if (typeof protocol !== 'number' || !Number.isInteger(protocol)) throw invalid('protocol', 'must be an integer');
  if (!isObject(labels) || Object.values(labels).some((v) => typeof v !== 'string')) throw invalid('labels', 'must map names to strings');
  if (typeof maxRuns !== 'number' || !Number.isInteger(maxRuns) || maxRuns < 0) throw invalid('maxRuns', 'must be an integer ≥ 0');
  if (!Array.isArray(capabilities) || capabilities.some((c) => !isObject(c) || typeof c.driver !== 'string' || !DRIVERS.has(c.driver))) {
    throw invalid('capabilities', `must be a list of {driver: ${[...DRIVERS].join('|')}, version?, available?}`);
  }
  if (!isObject(nodeInfo)) throw invalid('nodeInfo', 'required: {operatingSystem, architecture, kernelVersion, isolation, sidekickVersion}');
  for (const f of ['operatingSystem', 'architecture', 'kernelVersion', 'isolation', 'sidekickVersion']) {
    if (typeof nodeInfo[f] !== 'string') throw invalid(`nodeInfo.${f}`, 'must be a string');
  }
  return {
    name,
    publicKey: { kty: 'OKP', crv: 'Ed25519', x: publicKey.x },
    protocol,
    labels: labels as Record<string, string>,
    maxRuns,
    capabilities: capabilities as RegistrationRequest['capabilities'],
    nodeInfo: nodeInfo as RegistrationRequest['nodeInfo'],
  };
}

/** The 401 of a refused registration token. */
function refusedToken(err: RegistrationTokenError): ApiError {
  return new ApiError(StatusReason.Unauthorized, `registration refused: ${err.message}`);
}

export interface RegisterDeps {
  /** The raw store: identity tables and the RuntimeNode's status. */
  store: Store;
  /** The admitted store: the RuntimeNode object (defaults, validation). */
  objects: Store;
  registrationTokens: RegistrationTokens;
  now: () => Date;
}

/** Registers (or re-registers) a node; returns its owner. */
export async function registerNode(d: RegisterDeps, token: string, req: RegistrationRequest): Promise<{ owner: string }> {
  const now = d.now();
  let record;
  try {
    record = await d.registrationTokens.check(token, now);
  } catch (err) {
    if (err instanceof RegistrationTokenError) throw refusedToken(err);
    throw err;
  }
  if (record.node && record.node !== req.name) {
    throw new ApiError(StatusReason.Forbidden, `registration refused: the registration token is for node "${record.node}", not "${req.name}"`);
  }
  const bound = await readStore(d.store, (r) => credentialIn(r, req.name));
  // A token made for this very name may replace its key (re-registering a rebuilt machine).
  if (bound && !bound.revoked && !record.node && bound.publicKey.x !== req.publicKey.x) {
    throw new ApiError(StatusReason.Conflict, `node name "${req.name}" is already registered with another key; an Owner can create a token for that name (sidekick token create --node ${req.name}) to replace it`);
  }
  const owner = record.creator;
  const claim = async (tx: Parameters<typeof bindNodeKey>[0]): Promise<void> => {
    await d.registrationTokens.claim(tx, token, now).catch((err: unknown) => {
      throw err instanceof RegistrationTokenError ? refusedToken(err) : err;
    });
    await bindNodeKey(tx, { node: req.name, publicKey: req.publicKey, owner, tokenId: record.id, registered: now.toISOString() });
  };
  await writeNode(d, req, owner, now, claim);
  await writeNodeStatus(d.store, req.name, (status) => ({
    ...status,
    phase: status.phase === 'Revoked' || !status.phase ? 'Registering' : status.phase,
    ...(status.state === 'Revoked' ? { state: 'Unknown' } : {}),
    capabilities: req.capabilities,
    version: req.nodeInfo.sidekickVersion,
    nodeInfo: req.nodeInfo,
  }));
  return { owner };
}

type ExtraWrite = NonNullable<Parameters<Store['create']>[2]>['extraWrites'];

/** Creates or updates the RuntimeNode's spec (keeping fields others own), with `extra` in its transaction. */
async function writeNode(d: RegisterDeps, req: RegistrationRequest, owner: string, now: Date, extra: ExtraWrite): Promise<void> {
  const drivers = [...new Set(req.capabilities.filter((c) => c.available !== false).map((c) => c.driver))];
  for (let attempt = 0; ; attempt++) {
    const existing = await d.objects.find<RuntimeNode>('runtimenodes', '', req.name);
    try {
      if (!existing) {
        await d.objects.create<RuntimeNode>(
          'runtimenodes',
          {
            apiVersion: 'sidekicks.dev/v1alpha1',
            kind: 'RuntimeNode',
            // The node's principal is the creator: Cedar's "its own RuntimeNode" for the Node role.
            metadata: { name: req.name, annotations: { [CREATED_BY]: nodePrincipal(req.name), [REGISTERED_AT]: now.toISOString() } },
            spec: { owner, maxRuns: req.maxRuns, labels: req.labels, drivers: drivers as RuntimeNode['spec']['drivers'] },
            status: {},
          } as RuntimeNode,
          { extraWrites: extra },
        );
        return;
      }
      if (existing.spec.owner !== owner) {
        throw new ApiError(StatusReason.Conflict, `node "${req.name}" belongs to ${existing.spec.owner}; a registration token created by ${owner} cannot take it over (delete the RuntimeNode first)`);
      }
      const annotations = { ...existing.metadata.annotations, [CREATED_BY]: nodePrincipal(req.name), [REGISTERED_AT]: now.toISOString() };
      await d.objects.update<RuntimeNode>(
        'runtimenodes',
        // Status is the status subresource's (kept as stored): not sent, so fields other writers
        // added to it are never judged by this write's validation.
        { ...existing, metadata: { ...existing.metadata, annotations }, spec: { ...existing.spec, maxRuns: req.maxRuns, labels: req.labels, drivers: drivers as RuntimeNode['spec']['drivers'] }, status: {} },
        { extraWrites: extra },
      );
      return;
    } catch (err) {
      if (attempt < 5 && (isReason(err, StatusReason.Conflict) || isReason(err, StatusReason.AlreadyExists)) && !(err instanceof ApiError && err.message.startsWith(`node "`))) continue;
      throw err;
    }
  }
}

type LooseStatus = Record<string, unknown> & { phase?: string; state?: string };

/**
 * Read-modify-write of a RuntimeNode's status with conflict retries: registration, revocation,
 * the heartbeat and the lifecycle controller each write their own fields and keep the others'.
 */
export async function writeNodeStatus(store: Store, name: string, change: (status: LooseStatus) => LooseStatus): Promise<boolean> {
  for (let attempt = 0; ; attempt++) {
    const node = await store.find<RuntimeNode>('runtimenodes', '', name);
    if (!node) return false;
    try {
      await store.updateStatus('runtimenodes', { ...node, status: change({ ...(node.status ?? {}) } as LooseStatus) });
      return true;
    } catch (err) {
      if (attempt < 5 && isReason(err, StatusReason.Conflict)) continue;
      throw err;
    }
  }
}
