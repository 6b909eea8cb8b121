/**
 * Codex's approval requests, answered through our approval gate (ToolBroker.permission):
 * - `item/commandExecution/requestApproval` {threadId, turnId, itemId, approvalId?, command, cwd,
 *   reason?, networkApprovalContext?} is judged as our RunCommand {command, cwd} — or, for a
 *   network-only prompt without a command, as WebFetch {url};
 * - `item/fileChange/requestApproval` {threadId, turnId, itemId, reason?, grantRoot?} as WriteFile
 *   (new files only) or EditFile, with the paths the item's `item/started` named (plus grantRoot).
 * The answer is `{decision: "accept" | "decline"}`. The decision has no room for a reason, so a
 * refusal's reason goes to the agent as steer text of the same turn, and into the item's result.
 * Fail closed: a gate that throws, a tool the agent lacks, a write in a read-only workspace, and
 * anything asked while the run is stopping are declined. Requests we do not serve are refused:
 * extra permissions are granted none, MCP elicitations are declined, unknown methods get an error.
 */
import type { AgentConfig, ToolBroker, ToolCall } from '../contract.js';
import { changedPaths, fileChangeTool, type CodexEventMapper } from './events.js';
import { codexGateCall } from './gate-call.js';
import { RpcErrorCode, RpcHandlerError } from './rpc.js';
import { abortable } from '../delay.js';
import { isObject, type Json } from '../json-lines.js';

export const CodexApprovalMethod = {
  Command: 'item/commandExecution/requestApproval',
  FileChange: 'item/fileChange/requestApproval',
  Permissions: 'item/permissions/requestApproval',
  Elicitation: 'mcpServer/elicitation/request',
} as const;

/** Longest the refusal's reason may take to reach the turn before the decline goes out anyway. */
const TELL_AGENT_MS = 5000;

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** The call id an approval is filed under: the item's, so it matches the item's tool.invoked. */
function callIdOf(params: Json): string {
  const item = str(params.itemId) || 'codex-item';
  return str(params.approvalId) ? `${item}/${str(params.approvalId)}` : item;
}

/** The tool call our gate judges for a command approval request. */
export function commandApprovalCall(params: Json): ToolCall {
  const callId = callIdOf(params);
  const command = str(params.command);
  const net = isObject(params.networkApprovalContext) ? params.networkApprovalContext : undefined;
  if (!command && net && str(net.host)) {
    const port = typeof net.port === 'number' ? `:${net.port}` : '';
    const scheme = str(net.protocol).toLowerCase() || 'https';
    return { callId, tool: 'WebFetch', input: { url: `${scheme}://${str(net.host)}${port}`, ...(str(params.reason) ? { prompt: str(params.reason) } : {}) } };
  }
  return { callId, tool: 'RunCommand', input: { command, ...(str(params.cwd) ? { cwd: str(params.cwd) } : {}), ...(str(params.reason) ? { description: str(params.reason) } : {}) } };
}

/** The tool call our gate judges for a file change approval request, from the changes the item named. */
export function fileChangeApprovalCall(params: Json, mapper: Pick<CodexEventMapper, 'changesOf'>): ToolCall {
  const changes = mapper.changesOf(str(params.itemId)) ?? [];
  // A request for writes under a whole root names that root too; no path at all asks FileWrite (controllers/approval/classify/writes.ts).
  const paths = [...new Set([...changedPaths(changes), ...(str(params.grantRoot) ? [str(params.grantRoot)] : [])])];
  const input: Record<string, unknown> = { paths, changes };
  if (paths.length === 1) input.path = paths[0];
  return { callId: callIdOf(params), tool: fileChangeTool(changes), input };
}

export interface CodexApprovalsDeps {
  broker: ToolBroker;
  agent: Pick<AgentConfig, 'name' | 'tools'>;
  readOnly: boolean;
  mapper: CodexEventMapper;
  /** True once the run is being stopped: nothing more is asked of people. */
  stopping(): boolean;
  /** Delivers text into the running turn (turn/steer); best effort. */
  tellAgent(threadId: string, turnId: string, text: string): Promise<void>;
}

/** Answers the server requests of one Codex run. */
export class CodexApprovals {
  constructor(private readonly d: CodexApprovalsDeps) {}

  /** The `onRequest` handler of the app-server connection. */
  async answer(method: string, params: Json): Promise<unknown> {
    switch (method) {
      case CodexApprovalMethod.Command:
        return this.decide(commandApprovalCall(params), params, 'command');
      case CodexApprovalMethod.FileChange:
        return this.decide(fileChangeApprovalCall(params, this.d.mapper), params, 'file change');
      case CodexApprovalMethod.Permissions:
        // Extra sandbox permissions have no Approval shape of ours yet: grant none (the server treats omitted ones as denied).
        return { permissions: {} };
      case CodexApprovalMethod.Elicitation:
        return { action: 'decline', content: null };
      default:
        throw new RpcHandlerError(RpcErrorCode.MethodNotFound, `${method} is not supported by this client`);
    }
  }

  private async decide(asked: ToolCall, params: Json, what: string): Promise<{ decision: 'accept' | 'decline' }> {
    // The gate reads our tool names only: a call naming a Codex tool is translated first.
    const call = codexGateCall(asked);
    const refusal = this.refuseOutright(call) ?? (await this.ask(call));
    if (refusal === undefined) return { decision: 'accept' };
    this.d.mapper.refused(str(params.itemId), refusal);
    const [threadId, turnId] = [str(params.threadId), str(params.turnId)];
    // Told before the decline is sent, so the text is already in the turn when Codex reads the refusal.
    const told = threadId && turnId ? this.d.tellAgent(threadId, turnId, `The ${what} you asked for was refused (${call.tool} ${describe(call)}): ${refusal}`) : undefined;
    if (told) await abortable(told, AbortSignal.timeout(TELL_AGENT_MS)).catch(() => undefined);
    return { decision: 'decline' };
  }

  /** Why the call is refused without asking anyone, or undefined. */
  private refuseOutright(call: ToolCall): string | undefined {
    if (this.d.stopping()) return 'the run is stopping';
    const writes = call.tool === 'WriteFile' || call.tool === 'EditFile';
    if (writes && this.d.readOnly) return 'the workspace is read-only';
    // A network prompt comes from a command that wants the network: it needs RunCommand too.
    const needs = call.tool === 'WebFetch' ? 'RunCommand' : call.tool;
    if (!(this.d.agent.tools as string[]).includes(needs)) return `tool ${needs} is not enabled for agent ${this.d.agent.name}`;
    return undefined;
  }

  /** Asks the gate; undefined when allowed, else the reason. A gate that fails is a refusal. */
  private async ask(call: ToolCall): Promise<string | undefined> {
    try {
      const decision = await this.d.broker.permission(call);
      return decision.allow ? undefined : (decision.reason ?? `permission to use ${call.tool} was denied`);
    } catch (err) {
      return `the approval could not be obtained (${err instanceof Error ? err.message : String(err)})`;
    }
  }
}

function describe(call: ToolCall): string {
  const input = call.input;
  if (typeof input.command === 'string') return input.command;
  if (typeof input.url === 'string') return input.url;
  return Array.isArray(input.paths) ? input.paths.join(', ') : '';
}
