/**
 * Which driver implementation serves which `agent.driver`. The host picks from here; a kind that
 * is not registered fails the run at start instead of silently substituting another driver.
 */
import { sanitizeEnv } from '../sandbox/env.js';
import { ClaudeDriver } from './claude/driver.js';
import { CodexDriver } from './codex/driver.js';
import type { Driver, DriverKind } from './contract.js';
import { OpenAIDriver } from './openai/driver.js';
import { ScriptedDriver } from './scripted/driver.js';

/** What a factory may need from the start message. */
export interface DriverFactoryOptions {
  /** `--allow-env-passthrough`: provider CLIs get the host's environment unfiltered. */
  allowEnvPassthrough: boolean;
}

/** Creates a fresh driver instance (one per run). */
export type DriverFactory = (opts: DriverFactoryOptions) => Driver;

/** Driver factories by kind. */
export type DriverRegistry = Partial<Record<DriverKind, DriverFactory>>;

/** The drivers built into the host. */
export const defaultDriverRegistry: DriverRegistry = {
  Scripted: () => new ScriptedDriver(),
  OpenAI: () => new OpenAIDriver(),
  // Provider CLIs run with the host's environment stripped of credentials, like our own tools.
  Claude: ({ allowEnvPassthrough }) => new ClaudeDriver({ environment: (env) => sanitizeEnv(env, { allowPassthrough: allowEnvPassthrough }) }),
  Codex: ({ allowEnvPassthrough }) => new CodexDriver({ environment: (env) => sanitizeEnv(env, { allowPassthrough: allowEnvPassthrough }) }),
};
