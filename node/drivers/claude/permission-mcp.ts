/**
 * A minimal MCP server (stdio, JSON-RPC 2.0, one message per line) exposing one tool,
 * `permission_prompt`, for `claude --permission-prompt-tool`. Claude Code calls it with
 * `{tool_name, input, tool_use_id?}` before a gated tool runs; the server forwards the request to
 * the Claude driver over the Unix socket named in SIDEKICKS_PERMISSION_SOCKET and returns
 * `{"behavior":"allow","updatedInput":…}` or `{"behavior":"deny","message":…}` as JSON text.
 * Fails closed: no socket, a broken connection or a malformed reply is a denial.
 *
 * Run as a script by the CLI (`node permission-mcp.js`); it has no other entry point.
 */
import net from 'node:net';
import { createInterface } from 'node:readline';
import {
  PERMISSION_SOCKET_ENV,
  PERMISSION_TOKEN_ENV,
  PERMISSION_TOOL,
  type PermissionReplyLine,
  type PermissionRequestLine,
  type PermissionToolResult,
} from './permission-wire.js';

/** MCP revisions this server speaks; it answers with the client's when it knows it. */
const PROTOCOL_VERSIONS = ['2025-06-18', '2025-03-26', '2024-11-05'];

type JsonRpcId = string | number | null;
interface JsonRpcMessage {
  jsonrpc?: string;
  id?: JsonRpcId;
  method?: string;
  params?: Record<string, unknown>;
}

const TOOL_DEFINITION = {
  name: PERMISSION_TOOL,
  description: 'Decides whether Claude Code may run a tool call; the decision comes from the Sidekicks approval gate.',
  inputSchema: {
    type: 'object',
    properties: {
      tool_name: { type: 'string', description: 'The tool requesting permission.' },
      input: { type: 'object', description: 'The input for the tool.' },
      tool_use_id: { type: 'string', description: 'The tool use request id.' },
    },
    required: ['tool_name', 'input'],
  },
};

function write(message: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ jsonrpc: '2.0', ...message })}\n`);
}

/** Asks the driver over its socket; any failure on the way is a denial with the reason. */
function askDriver(request: Omit<PermissionRequestLine, 'token'>): Promise<PermissionReplyLine> {
  const socketPath = process.env[PERMISSION_SOCKET_ENV];
  const token = process.env[PERMISSION_TOKEN_ENV] ?? '';
  if (!socketPath) return Promise.resolve({ allow: false, message: `Permission denied: ${PERMISSION_SOCKET_ENV} is not set, so no approval can be asked.` });
  return new Promise((resolve) => {
    let settled = false;
    const finish = (reply: PermissionReplyLine) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(reply);
    };
    const socket = net.createConnection(socketPath, () => {
      const line: PermissionRequestLine = { token, ...request };
      socket.write(`${JSON.stringify(line)}\n`);
    });
    const unreachable = (err: Error) => finish({ allow: false, message: `Permission denied: the approval gate is unreachable (${err.message}).` });
    socket.on('error', unreachable);
    socket.on('close', () => finish({ allow: false, message: 'Permission denied: the approval gate closed without a decision.' }));
    const lines = createInterface({ input: socket });
    // readline re-emits the socket's errors; unhandled, they would kill the server instead of denying.
    lines.on('error', unreachable);
    lines.once('line', (line) => {
      try {
        const reply = JSON.parse(line) as Partial<PermissionReplyLine>;
        finish(reply.allow === true ? { allow: true } : { allow: false, message: typeof reply.message === 'string' ? reply.message : 'Permission denied.' });
      } catch {
        finish({ allow: false, message: 'Permission denied: the approval gate sent a malformed reply.' });
      }
    });
  });
}

async function callTool(id: JsonRpcId, params: Record<string, unknown>): Promise<void> {
  if (params.name !== PERMISSION_TOOL) {
    write({ id, error: { code: -32602, message: `Unknown tool: ${String(params.name)}` } });
    return;
  }
  const args = (params.arguments ?? {}) as Record<string, unknown>;
  const input = typeof args.input === 'object' && args.input !== null && !Array.isArray(args.input) ? (args.input as Record<string, unknown>) : {};
  let result: PermissionToolResult;
  if (typeof args.tool_name !== 'string') {
    result = { behavior: 'deny', message: 'Permission denied: the request named no tool.' };
  } else {
    const reply = await askDriver({ tool_name: args.tool_name, input, ...(typeof args.tool_use_id === 'string' ? { tool_use_id: args.tool_use_id } : {}) });
    result = reply.allow ? { behavior: 'allow', updatedInput: input } : { behavior: 'deny', message: reply.message ?? 'Permission denied.' };
  }
  write({ id, result: { content: [{ type: 'text', text: JSON.stringify(result) }] } });
}

function handle(message: JsonRpcMessage): void {
  const id = message.id;
  // Notifications (no id) need no answer; notifications/initialized is the only one we expect.
  if (id === undefined) return;
  switch (message.method) {
    case 'initialize': {
      const asked = message.params?.protocolVersion;
      const protocolVersion = typeof asked === 'string' && PROTOCOL_VERSIONS.includes(asked) ? asked : PROTOCOL_VERSIONS[0];
      write({ id, result: { protocolVersion, capabilities: { tools: {} }, serverInfo: { name: 'sidekicks-permissions', version: '1.0.0' } } });
      return;
    }
    case 'ping':
      write({ id, result: {} });
      return;
    case 'tools/list':
      write({ id, result: { tools: [TOOL_DEFINITION] } });
      return;
    case 'tools/call':
      void callTool(id, message.params ?? {});
      return;
    default:
      write({ id, error: { code: -32601, message: `Method not found: ${String(message.method)}` } });
  }
}

createInterface({ input: process.stdin, crlfDelay: Infinity }).on('line', (line) => {
  if (!line.trim()) return;
  let message: JsonRpcMessage;
  try {
    message = JSON.parse(line) as JsonRpcMessage;
  } catch {
    write({ id: null, error: { code: -32700, message: 'Parse error' } });
    return;
  }
  handle(message);
});
