/**
 * The driver host protocol: newline-delimited JSON over the host's stdin (daemon → host) and
 * stdout (host → daemon); the host's stderr is its log. Every line is validated on arrival with
 * the schemas in ./protocol-schema.ts: a malformed line is reported to the caller, never thrown.
 *
 * Daemon → host: `start` (the DriverStartContext without its functions), `send`, `steer`,
 * `interrupt`, `permission.reply`, `close`.
 * Host → daemon: `capabilities` (once the driver is chosen), `event`, `permission.request`,
 * `steer.result`, and `exit` as its last line.
 */
import type { Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { AgentConfig, DriverCapabilities, DriverCheckpoint, DriverEvent, DriverStartContext, ToolCall } from './contract.js';
import { DaemonToHostSchema, HostToDaemonSchema, AgentConfigSchema, DriverCapabilitiesSchema, DriverCheckpointSchema, DriverEventSchema, ToolCallSchema } from './protocol-schema.js';

export type DaemonToHost = Static<typeof DaemonToHostSchema>;
export type HostToDaemon = Static<typeof HostToDaemonSchema>;
/** The first message to a host: everything in DriverStartContext that can cross a pipe. */
export type StartMessage = Extract<DaemonToHost, { type: 'start' }>;
/** The last message from a host. `interrupted` means the driver stopped without finishing the run. */
export type ExitMessage = Extract<HostToDaemon, { type: 'exit' }>;
export type HostExitStatus = ExitMessage['status'];

// Compile-time guards: the schemas must describe exactly the contract's types, so a change to
// contract.ts that is not mirrored in protocol-schema.ts fails the typecheck instead of the wire.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const schemasMatchContract: [
  Same<Static<typeof DriverEventSchema>, DriverEvent>,
  Same<Static<typeof DriverCheckpointSchema>, DriverCheckpoint>,
  Same<Static<typeof AgentConfigSchema>, AgentConfig>,
  Same<Static<typeof DriverCapabilitiesSchema>, DriverCapabilities>,
  Same<Static<typeof ToolCallSchema>, ToolCall>,
  Same<Omit<StartMessage, 'type' | 'allowEnvPassthrough' | 'sandbox'>, Omit<DriverStartContext, 'tools' | 'emit' | 'signal'>>,
] = [true, true, true, true, true, true];
void schemasMatchContract;

const daemonToHost = TypeCompiler.Compile(DaemonToHostSchema);
const hostToDaemon = TypeCompiler.Compile(HostToDaemonSchema);

/** The outcome of parsing one protocol line: the message, or why the line was rejected. */
export type ParseResult<T> = { ok: true; message: T } | { ok: false; error: string };

/** Parses and validates one line the daemon wrote to a host. */
export function parseDaemonToHost(line: string): ParseResult<DaemonToHost> {
  return parseWith(line, daemonToHost);
}

/** Parses and validates one line a host wrote to the daemon. */
export function parseHostToDaemon(line: string): ParseResult<HostToDaemon> {
  return parseWith(line, hostToDaemon);
}

/** Encodes one protocol message as a line (JSON escapes newlines inside strings, so it stays one line). */
export function encodeMessage(message: DaemonToHost | HostToDaemon): string {
  return `${JSON.stringify(message)}\n`;
}

interface Checker {
  Check(value: unknown): boolean;
  Errors(value: unknown): { First(): { path: string; message: string } | undefined };
}

function parseWith<T>(line: string, checker: Checker): ParseResult<T> {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    return { ok: false, error: `not JSON: ${(err as Error).message}` };
  }
  if (checker.Check(value)) return { ok: true, message: value as T };
  const first = checker.Errors(value).First();
  const type = typeof value === 'object' && value !== null && 'type' in value ? String((value as { type: unknown }).type) : '?';
  return { ok: false, error: `invalid ${type} message${first ? ` at ${first.path || '/'}: ${first.message}` : ''}` };
}

/** Tells the driver host the umask to give the agent's processes (octal); the host removes it from its env. */
export const AGENT_UMASK_ENV = 'SIDEKICK_AGENT_UMASK';
