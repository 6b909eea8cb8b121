/**
 * JSON Schemas of the driver host protocol (./protocol.ts): every line crossing the pipe between
 * the daemon and a driver host is checked against these before it is acted on. The schemas mirror
 * the contract's TypeScript types; ./protocol.ts asserts at compile time that they stay in step.
 */
import { Type } from '@sinclair/typebox';
import { ScriptStep, ToolName } from '../../resources/kinds/agent-script.js';
import { DriverKind } from './contract.js';

const literals = <T extends string>(values: readonly T[]) => Type.Union(values.map((v) => Type.Literal(v)));

export const FailureCategorySchema = literals(['Provider', 'Transport', 'Persistence', 'Workspace', 'Policy', 'Budget', 'Timeout'] as const);
const MessageSourceSchema = literals(['prompt', 'steer', 'user'] as const);

export const DriverCapabilitiesSchema = Type.Object({
  resume: Type.Boolean(),
  steer: Type.Boolean(),
  interactiveRequests: Type.Boolean(),
  toolCalls: Type.Boolean(),
  reasoningStream: Type.Boolean(),
});

export const TranscriptMessageSchema = Type.Object({
  role: literals(['system', 'user', 'assistant', 'tool'] as const),
  content: Type.String(),
  toolCalls: Type.Optional(Type.Array(Type.Object({ id: Type.String(), name: Type.String(), arguments: Type.String() }))),
  toolCallId: Type.Optional(Type.String()),
  source: Type.Optional(MessageSourceSchema),
});

export const DriverCheckpointSchema = Type.Object({
  transcript: Type.Array(TranscriptMessageSchema),
  resumeId: Type.Optional(Type.String()),
  cursor: Type.Optional(Type.Integer({ minimum: 0 })),
  turns: Type.Integer({ minimum: 0 }),
});

export const ServerToolSchema = Type.Object({
  name: Type.String({ minLength: 1 }),
  description: Type.String(),
  inputSchema: Type.Record(Type.String(), Type.Unknown()),
  command: Type.Array(Type.String(), { minItems: 1 }),
  env: Type.Record(Type.String(), Type.String()),
  withheldEnv: Type.Optional(Type.Array(Type.String())),
  timeoutSeconds: Type.Number({ exclusiveMinimum: 0 }),
  workingDir: Type.Optional(Type.String()),
});

export const AgentConfigSchema = Type.Object({
  name: Type.String(),
  driver: literals(Object.values(DriverKind)),
  model: Type.Optional(Type.String()),
  instructions: Type.Optional(Type.String()),
  endpoint: Type.Optional(Type.Object({ baseURL: Type.String(), apiKey: Type.Optional(Type.String()) })),
  command: Type.Optional(Type.String()),
  tools: Type.Array(literals(Object.values(ToolName))),
  maxTurns: Type.Integer({ minimum: 1 }),
  env: Type.Record(Type.String(), Type.String()),
  script: Type.Optional(Type.Array(ScriptStep)),
  serverTools: Type.Optional(Type.Array(ServerToolSchema)),
});

export const ToolCallSchema = Type.Object({
  callId: Type.String(),
  tool: Type.String(),
  input: Type.Record(Type.String(), Type.Unknown()),
});

export const DriverEventSchema = Type.Union([
  Type.Object({ type: Type.Literal('assistant.message'), text: Type.String() }),
  Type.Object({ type: Type.Literal('assistant.thinking'), text: Type.String() }),
  Type.Object({ type: Type.Literal('tool.invoked'), callId: Type.String(), tool: Type.String(), input: Type.Record(Type.String(), Type.Unknown()) }),
  Type.Object({
    type: Type.Literal('tool.result'),
    callId: Type.String(),
    tool: Type.String(),
    ok: Type.Boolean(),
    output: Type.String(),
    exitCode: Type.Optional(Type.Integer()),
    durationMs: Type.Optional(Type.Number({ minimum: 0 })),
    truncated: Type.Optional(Type.Boolean()),
  }),
  Type.Object({ type: Type.Literal('tool.replayed'), callId: Type.String(), tool: Type.String(), input: Type.Record(Type.String(), Type.Unknown()) }),
  Type.Object({ type: Type.Literal('tool.skipped_during_recovery'), callId: Type.String(), tool: Type.String(), input: Type.Record(Type.String(), Type.Unknown()) }),
  Type.Object({ type: Type.Literal('request.input'), requestId: Type.String(), question: Type.String() }),
  Type.Object({
    type: Type.Literal('usage'),
    inputTokens: Type.Integer({ minimum: 0 }),
    outputTokens: Type.Integer({ minimum: 0 }),
    costUSD: Type.Optional(Type.Number({ minimum: 0 })),
  }),
  Type.Object({ type: Type.Literal('turn'), turn: Type.Integer({ minimum: 1 }) }),
  Type.Object({ type: Type.Literal('checkpoint'), checkpoint: DriverCheckpointSchema }),
  Type.Object({ type: Type.Literal('raw'), data: Type.String() }),
  Type.Object({ type: Type.Literal('driver.warning'), kind: Type.String(), message: Type.String() }),
  Type.Object({ type: Type.Literal('run.completed'), summary: Type.Optional(Type.String()) }),
  Type.Object({ type: Type.Literal('run.failed'), category: FailureCategorySchema, reason: Type.String(), message: Type.String() }),
]);

/** Messages the daemon writes to a driver host's stdin. */
export const DaemonToHostSchema = Type.Union([
  Type.Object({
    type: Type.Literal('start'),
    run: Type.Object({ namespace: Type.String(), name: Type.String(), uid: Type.String(), session: Type.String() }),
    prompt: Type.String(),
    agent: AgentConfigSchema,
    workspace: Type.Object({ path: Type.String({ minLength: 1 }), readOnly: Type.Boolean() }),
    checkpoint: Type.Optional(DriverCheckpointSchema),
    interruptedCalls: Type.Optional(Type.Array(Type.String())),
    allowEnvPassthrough: Type.Boolean(),
    sandbox: Type.Optional(
      Type.Object({ bwrap: Type.String({ minLength: 1 }) }, { description: 'Set when the host runs in a sandbox: each command gets a nested one, with network only when granted.' }),
    ),
  }),
  Type.Object({ type: Type.Literal('send'), text: Type.String(), source: Type.Optional(MessageSourceSchema) }),
  Type.Object({ type: Type.Literal('steer'), id: Type.String(), text: Type.String() }),
  Type.Object({ type: Type.Literal('interrupt') }),
  Type.Object({ type: Type.Literal('permission.reply'), requestId: Type.String(), allow: Type.Boolean(), reason: Type.Optional(Type.String()), network: Type.Optional(Type.Boolean()) }),
  Type.Object({ type: Type.Literal('close') }),
]);

/** How a driver host ended its run: the last thing it writes before exiting. */
export const HostExitStatusSchema = literals(['completed', 'failed', 'interrupted'] as const);

/** Messages a driver host writes to its stdout. */
export const HostToDaemonSchema = Type.Union([
  Type.Object({ type: Type.Literal('event'), event: DriverEventSchema }),
  Type.Object({ type: Type.Literal('permission.request'), requestId: Type.String(), call: ToolCallSchema }),
  Type.Object({ type: Type.Literal('steer.result'), id: Type.String(), outcome: literals(['applied', 'degraded'] as const) }),
  Type.Object({ type: Type.Literal('capabilities'), driver: literals(Object.values(DriverKind)), capabilities: DriverCapabilitiesSchema }),
  Type.Object({ type: Type.Literal('exit'), status: HostExitStatusSchema, message: Type.Optional(Type.String()) }),
]);
