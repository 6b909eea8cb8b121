/**
 * The control plane's model proxy: `/api/runtime/v1/models/<ns>/<agent>/<call>` makes an
 * OpenAI-compatible call for a runtime node with an API key only the control plane holds, so the
 * key never reaches a node (seed 000: "Calls LLM through Sidekick's proxy (SSE streaming)").
 * A node may use it only for an agent whose credentials are kept on the control plane and that
 * one of its non-terminal runs uses; the body's model must be the agent's. Streams pass through.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Agent } from '../../resources/kinds/agent.js';
import { isTerminalPhase, type Run } from '../../resources/kinds/run.js';
import type { Store } from '../store/store.js';
import type { AuthenticatedNode, RuntimeRoute } from './routes.js';
import { describeFetchError, forwardedRequestHeaders, pipeResponse, readRequestBody, sendError } from './model-stream.js';

export interface ModelProxyOptions {
  /** The control plane's store (only read). */
  store: Store;
  /** Where keys are read (default: the control plane's process environment). */
  env?: NodeJS.ProcessEnv;
  /**
   * Which environment variables an Agent may name as its key. Default: names ending in `API_KEY`,
   * so an agent's author cannot have the proxy send, say, DATABASE_URL to an endpoint of theirs.
   */
  keyAllowed?: (name: string) => boolean;
  fetch?: typeof fetch;
  log?: (line: string) => void;
}

/** Calls a node may make: the OpenAI-compatible endpoints the drivers use. */
const POST_CALLS = 'chat/completions|completions|responses|embeddings';
const NAME = '[a-z0-9][-a-z0-9.]*';
const MAX_BODY_BYTES = 32 * 1024 * 1024;

/** Names ending in `API_KEY` (OPENAI_API_KEY, OPENROUTER_API_KEY...). */
export function defaultKeyAllowed(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*API_KEY$/.test(name);
}

/** A refusal: the HTTP status and the message the node's driver shows. */
class Refusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The routes the runtime API router mounts under `/api/runtime/v1`. */
export function modelProxyRoutes(o: ModelProxyOptions): RuntimeRoute[] {
  const handle: RuntimeRoute['handle'] = async (req, res, { match, node }) => {
    const [, ns, agentName, call] = match;
    try {
      if (!node) throw new Refusal(401, 'model proxy: a node access token is required');
      const agent = await proxiedAgent(o.store, ns, agentName);
      await requireActiveRun(o.store, node, ns, agentName);
      const key = apiKeyOf(agent, o);
      const body = req.method === 'POST' ? await checkedBody(req, agent) : undefined;
      await forward(o, { req, res, agent, call, key, body, node });
    } catch (err) {
      if (!(err instanceof Refusal)) throw err;
      o.log?.(`model proxy: node ${node?.name ?? '?'} → agent ${ns}/${agentName} ${call}: refused (${err.status}): ${err.message}`);
      sendError(res, err.status, err.message);
    }
  };
  return [
    { method: 'POST', path: new RegExp(`^/models/(${NAME})/(${NAME})/(${POST_CALLS})$`), auth: 'node', handle },
    { method: 'GET', path: new RegExp(`^/models/(${NAME})/(${NAME})/(models)$`), auth: 'node', handle },
  ];
}

/** The agent, if its model calls are the control plane's to make. */
async function proxiedAgent(store: Store, ns: string, name: string): Promise<Agent> {
  const agent = await store.find<Agent>('agents', ns, name);
  if (!agent) throw new Refusal(404, `model proxy: agent ${ns}/${name} not found`);
  const endpoint = agent.spec.endpoint;
  if (agent.spec.driver !== 'OpenAI' || !endpoint) throw new Refusal(400, `model proxy: agent ${ns}/${name} has no OpenAI-compatible endpoint`);
  if (endpoint.credentials !== 'ControlPlane') {
    throw new Refusal(403, `model proxy: agent ${ns}/${name} keeps its credentials on the node (spec.endpoint.credentials is not ControlPlane)`);
  }
  return agent;
}

/** Only a node that runs the agent now may spend its key. */
async function requireActiveRun(store: Store, node: AuthenticatedNode, ns: string, agent: string): Promise<void> {
  const runs = await store.list<Run>('runs', { namespace: ns, fieldSelector: `spec.nodeName=${node.name},spec.agent=${agent}` });
  if (!runs.items.some((r) => !isTerminalPhase(r.status?.phase) && !r.metadata.deletionTimestamp)) {
    throw new Refusal(403, `model proxy: node ${node.name} has no active run of agent ${ns}/${agent}`);
  }
}

function apiKeyOf(agent: Agent, o: ModelProxyOptions): string | undefined {
  const from = agent.spec.endpoint?.apiKeyFrom;
  if (!from) return undefined;
  const what = `agent ${agent.metadata.namespace}/${agent.metadata.name}: spec.endpoint.apiKeyFrom`;
  if (from.env === undefined) throw new Refusal(400, `model proxy: ${what}: a key kept on the control plane is read from an environment variable (env)`);
  if (!(o.keyAllowed ?? defaultKeyAllowed)(from.env)) {
    throw new Refusal(403, `model proxy: ${what}: the control plane does not lend environment variable ${from.env} as a model key`);
  }
  const value = (o.env ?? process.env)[from.env];
  if (value === undefined || value === '') throw new Refusal(400, `model proxy: ${what}: environment variable ${from.env} is not set on the control plane`);
  return value;
}

/** The request body, refused when it asks for another model than the agent's. */
async function checkedBody(req: IncomingMessage, agent: Agent): Promise<Buffer> {
  const body = await readRequestBody(req, MAX_BODY_BYTES);
  if (body === 'too-large') throw new Refusal(413, `model proxy: request body over ${MAX_BODY_BYTES} bytes`);
  let model: unknown;
  try {
    model = (JSON.parse(body.toString('utf8')) as { model?: unknown }).model;
  } catch {
    throw new Refusal(400, 'model proxy: the request body is not JSON');
  }
  const want = agent.spec.model;
  if (want !== undefined && model !== want) {
    throw new Refusal(403, `model proxy: model ${JSON.stringify(model)} is not agent ${agent.metadata.namespace}/${agent.metadata.name}'s model ${JSON.stringify(want)}`);
  }
  return body;
}

interface Call {
  req: IncomingMessage;
  res: ServerResponse;
  agent: Agent;
  call: string;
  key: string | undefined;
  body: Buffer | undefined;
  node: AuthenticatedNode;
}

async function forward(o: ModelProxyOptions, c: Call): Promise<void> {
  const base = c.agent.spec.endpoint!.baseURL.replace(/\/+$/, '');
  const url = `${base}/${c.call}`;
  const abort = new AbortController();
  // The node went away (run interrupted, relay closed): stop paying for the stream.
  c.res.on('close', () => abort.abort());
  let upstream: Response;
  try {
    upstream = await (o.fetch ?? fetch)(url, {
      method: c.req.method,
      headers: { ...forwardedRequestHeaders(c.req), ...(c.key ? { authorization: `Bearer ${c.key}` } : {}) },
      ...(c.body ? { body: c.body } : {}),
      signal: abort.signal,
    });
  } catch (err) {
    if (abort.signal.aborted) return;
    throw new Refusal(502, `model proxy: the control plane could not reach ${url}: ${describeFetchError(err)}`);
  }
  o.log?.(`model proxy: node ${c.node.name} → agent ${c.agent.metadata.namespace}/${c.agent.metadata.name} ${c.req.method} ${c.call}: ${upstream.status}`);
  await pipeResponse(upstream, c.res, abort.signal);
}
