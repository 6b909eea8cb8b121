/**
 * The driver's end of Claude Code's permission hook: listens on a Unix socket in a private temp
 * dir, writes the `--mcp-config` file that makes the CLI spawn permission-mcp.js, and turns
 * each permission prompt into `ToolBroker.permission` — our approval gate, which reads only our
 * tool names, so Claude Code's are translated first (normalizeClaudeTool). Fails closed: a wrong
 * token, a malformed request or a broker error is a denial.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { normalizeClaudeTool } from './stream.js';
import {
  PERMISSION_SERVER_NAME,
  PERMISSION_SOCKET_ENV,
  PERMISSION_TOKEN_ENV,
  type PermissionReplyLine,
  type PermissionRequestLine,
} from './permission-wire.js';
import type { ToolBroker } from '../contract.js';

export interface PermissionChannelOptions {
  broker: ToolBroker;
  /** Compiled permission-mcp.js the CLI runs with `nodePath`. */
  serverScript: string;
  /** Node binary for the MCP server (default: the one running this process). */
  nodePath?: string;
}

/** One run's permission hook; `close()` removes the socket and the config. */
export class ClaudePermissionChannel {
  private seq = 0;
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    /** Path of the JSON file to pass as `claude --mcp-config`. */
    readonly mcpConfigPath: string,
    private readonly dir: string,
    private readonly server: net.Server,
  ) {}

  /** Creates the socket and the MCP config; the channel answers prompts until closed. */
  static async open(opts: PermissionChannelOptions): Promise<ClaudePermissionChannel> {
    // mkdtemp makes the dir 0700, so only this user can reach the socket; the token guards the rest.
    const dir = await mkdtemp(path.join(os.tmpdir(), 'sk-claude-'));
    const socketPath = path.join(dir, 'permission.sock');
    const token = randomBytes(24).toString('hex');
    const mcpConfigPath = path.join(dir, 'mcp.json');
    let channel: ClaudePermissionChannel | undefined;
    const server = net.createServer((socket) => channel?.serve(socket, opts.broker, token));
    channel = new ClaudePermissionChannel(mcpConfigPath, dir, server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => resolve());
    });
    const config = {
      mcpServers: {
        [PERMISSION_SERVER_NAME]: {
          type: 'stdio',
          command: opts.nodePath ?? process.execPath,
          args: [opts.serverScript],
          env: { [PERMISSION_SOCKET_ENV]: socketPath, [PERMISSION_TOKEN_ENV]: token },
        },
      },
    };
    await writeFile(mcpConfigPath, JSON.stringify(config, null, 2), { mode: 0o600 });
    return channel;
  }

  private serve(socket: net.Socket, broker: ToolBroker, token: string): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const lines = createInterface({ input: socket });
    // readline re-emits socket errors; the MCP server treats the dropped connection as a denial.
    lines.on('error', () => socket.destroy());
    lines.once('line', (line) => {
      void this.decide(line, broker, token).then((reply) => {
        if (!socket.destroyed) socket.end(`${JSON.stringify(reply)}\n`);
      });
    });
  }

  private async decide(line: string, broker: ToolBroker, token: string): Promise<PermissionReplyLine> {
    let request: Partial<PermissionRequestLine>;
    try {
      request = JSON.parse(line) as Partial<PermissionRequestLine>;
    } catch {
      return { allow: false, message: 'Permission denied: malformed permission request.' };
    }
    if (typeof request.token !== 'string' || !sameSecret(request.token, token)) return { allow: false, message: 'Permission denied: the request did not come from this run.' };
    if (typeof request.tool_name !== 'string') return { allow: false, message: 'Permission denied: the request named no tool.' };
    const raw = typeof request.input === 'object' && request.input !== null ? request.input : {};
    const { tool, input } = normalizeClaudeTool(request.tool_name, raw);
    const callId = request.tool_use_id ?? `permission-${++this.seq}`;
    try {
      const decision = await broker.permission({ callId, tool, input });
      return decision.allow ? { allow: true } : { allow: false, message: decision.reason ?? `Permission to use ${request.tool_name} was denied.` };
    } catch (err) {
      return { allow: false, message: `Permission denied: the approval could not be obtained (${err instanceof Error ? err.message : String(err)}).` };
    }
  }

  async close(): Promise<void> {
    // A prompt still waiting for a decision is dropped; the MCP server turns that into a denial.
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await rm(this.dir, { recursive: true, force: true });
  }
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
