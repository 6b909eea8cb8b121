/**
 * Which agent `sidekick init` sets up, in order of preference: the claude CLI, the codex CLI, an
 * OpenAI-compatible endpoint named by OPENAI_BASE_URL / OPENAI_API_KEY, a local Ollama with a
 * model, and otherwise the Scripted demo agent, which needs no model at all.
 */
import { findExecutable } from '../../controllers/agent/probe.js';
import type { AgentSpec } from '../../resources/kinds/agent.js';
import type { InitRepository } from './repository.js';
import { demoAgentSpec } from './demo-agent.js';

/** The drivers `--agent-driver` may force. */
export const InitDriver = { Scripted: 'Scripted', Claude: 'Claude', Codex: 'Codex', OpenAI: 'OpenAI' } as const;
export type InitDriver = (typeof InitDriver)[keyof typeof InitDriver];

/** The agent chosen: its name suffix, spec, why it was chosen, and what the file says about it. */
export interface AgentChoice {
  /** Appended to the session name: `myrepo-claude`. */
  suffix: string;
  spec: AgentSpec;
  /** Why, for the output line: `claude CLI found at /usr/bin/claude`. */
  reason: string;
  /** Comment lines heading agent.yaml. */
  comment: string[];
}

const OLLAMA_DEFAULT = 'http://127.0.0.1:11434';
const OPENAI_DEFAULT = 'https://api.openai.com/v1';
const INSTRUCTIONS = 'Keep changes small and focused; explain what you changed and why.';

/** Picks the agent for the repository: `forced` when given, else the first that is available here. */
export async function chooseAgent(repo: InitRepository, env: NodeJS.ProcessEnv, forced?: InitDriver): Promise<AgentChoice> {
  if (forced === 'Scripted') return scripted(repo, '--agent-driver Scripted');
  if (forced === undefined || forced === 'Claude') {
    const claude = await findExecutable('claude', env);
    if (claude || forced === 'Claude') return cliAgent('Claude', claude, env);
  }
  if (forced === undefined || forced === 'Codex') {
    const codex = await findExecutable('codex', env);
    if (codex || forced === 'Codex') return cliAgent('Codex', codex, env);
  }
  if (forced === 'OpenAI' || env.OPENAI_BASE_URL || env.OPENAI_API_KEY) return openAI(env);
  if (forced === undefined) {
    const ollama = await ollamaModel(env);
    if (ollama.model) return ollamaAgent(ollama.url, ollama.model);
    return scripted(repo, ollama.note ?? 'no claude or codex CLI on PATH, no OPENAI_BASE_URL or OPENAI_API_KEY, no Ollama');
  }
  return scripted(repo, 'no model found');
}

function cliAgent(driver: 'Claude' | 'Codex', found: string | undefined, env: NodeJS.ProcessEnv): AgentChoice {
  const cli = driver === 'Claude' ? 'claude' : 'codex';
  const keys = driver === 'Claude' ? ['ANTHROPIC_API_KEY'] : ['OPENAI_API_KEY', 'CODEX_API_KEY'];
  const key = keys[0]!;
  // A key set in this shell is passed by name (valueFrom), read from the daemon's environment at run start.
  const passed = keys.filter((k) => env[k]).map((k) => ({ name: k, valueFrom: { env: k } }));
  return {
    suffix: cli,
    spec: { driver, instructions: INSTRUCTIONS, maxTurns: 50, ...(passed.length ? { env: passed } : {}) },
    reason: found ? `${cli} CLI found at ${found}` : `--agent-driver ${driver}; ${cli} is not on PATH here (set spec.command to its path)`,
    comment: [
      `The ${cli} CLI as an agent, run by the daemon in each run's own git worktree.`,
      `Credentials: the sandbox hides your home (~/.${cli} included), so the CLI's own login is not seen.`,
      `Give it a key from the daemon's environment instead:`,
      `  env: [{ name: ${key}, valueFrom: { env: ${key} } }]`,
      `or start the daemon with --allow-env-passthrough (see examples/${driver === 'Claude' ? 'claude-code' : 'codex'}/).`,
    ],
  };
}

function openAI(env: NodeJS.ProcessEnv): AgentChoice {
  const baseURL = env.OPENAI_BASE_URL || OPENAI_DEFAULT;
  const model = env.OPENAI_MODEL || 'gpt-4.1';
  return {
    suffix: 'openai',
    spec: {
      driver: 'OpenAI',
      model,
      // The key is read from the daemon's environment when a run starts; it is never written here.
      endpoint: { baseURL, ...(env.OPENAI_API_KEY ? { apiKeyFrom: { env: 'OPENAI_API_KEY' } } : {}) },
      instructions: INSTRUCTIONS,
      maxTurns: 50,
    },
    reason: `OpenAI-compatible endpoint ${baseURL}${env.OPENAI_BASE_URL ? ' (OPENAI_BASE_URL)' : ''}, model ${model}${env.OPENAI_MODEL ? ' (OPENAI_MODEL)' : ''}`,
    comment: [
      'An OpenAI-compatible endpoint (OPENAI_BASE_URL, or api.openai.com). The key is read from the',
      "daemon's environment (OPENAI_API_KEY) when a run starts; it is never stored in a file or object.",
      'Set OPENAI_MODEL before `sidekick init`, or edit spec.model, to use another model.',
    ],
  };
}

function ollamaAgent(url: string, model: string): AgentChoice {
  return {
    suffix: 'ollama',
    spec: { driver: 'OpenAI', model, endpoint: { baseURL: `${url}/v1` }, instructions: INSTRUCTIONS, maxTurns: 30 },
    reason: `Ollama at ${url}, model ${model}`,
    comment: ['A local model served by Ollama through its OpenAI-compatible API.', 'Another installed model: edit spec.model (`ollama list` names them).'],
  };
}

function scripted(repo: InitRepository, why: string): AgentChoice {
  return {
    suffix: 'demo',
    spec: demoAgentSpec(repo),
    reason: `Scripted demo agent: ${why}`,
    comment: [
      'A Scripted demo agent: no model, it plays the steps below through the same tools a model uses.',
      'It lists the files, reads one and writes SIDEKICK_NOTES.md, so `sidekick init` then a run',
      'works on any machine. For a real agent install claude or codex, or set OPENAI_BASE_URL /',
      'OPENAI_API_KEY, then run `sidekick init --agent-driver Claude` (or Codex, OpenAI).',
    ],
  };
}

/** The first model a local Ollama has installed, or why there is none (`note` only when Ollama answered). */
async function ollamaModel(env: NodeJS.ProcessEnv): Promise<{ url: string; model?: string; note?: string }> {
  const url = ollamaURL(env.OLLAMA_HOST);
  try {
    const res = await fetch(`${url}/api/tags`, { signal: AbortSignal.timeout(400) });
    if (!res.ok) return { url };
    const body = (await res.json()) as { models?: { name?: unknown }[] };
    const model = body.models?.map((m) => m.name).find((n): n is string => typeof n === 'string' && n !== '');
    return model ? { url, model } : { url, note: `Ollama at ${url} has no model installed (\`ollama pull qwen2.5-coder\`, then init again)` };
  } catch {
    return { url };
  }
}

/** Ollama's own OLLAMA_HOST (`host:port` or a URL), else its default port on loopback. */
function ollamaURL(host: string | undefined): string {
  if (!host) return OLLAMA_DEFAULT;
  const withScheme = /^[a-z]+:\/\//.test(host) ? host : `http://${host}`;
  return withScheme.replace(/\/+$/, '');
}
