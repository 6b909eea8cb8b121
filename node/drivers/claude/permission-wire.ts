/**
 * The wire between the Claude driver and its permission MCP server (permission-mcp.ts),
 * which Claude Code spawns from `--mcp-config`: newline-delimited JSON over a Unix socket in a
 * private temp dir, one connection per permission prompt. The server asks, the driver answers.
 */

/** MCP server name in the generated config; the CLI calls the tool as `mcp__<server>__<tool>`. */
export const PERMISSION_SERVER_NAME = 'sidekicks';
export const PERMISSION_TOOL = 'permission_prompt';
/** The value for `claude --permission-prompt-tool`. */
export const PERMISSION_PROMPT_TOOL = `mcp__${PERMISSION_SERVER_NAME}__${PERMISSION_TOOL}`;

/** Environment the MCP server reads: where the driver listens, and the secret it must present. */
export const PERMISSION_SOCKET_ENV = 'SIDEKICKS_PERMISSION_SOCKET';
export const PERMISSION_TOKEN_ENV = 'SIDEKICKS_PERMISSION_TOKEN';

/** MCP server → driver: Claude Code wants to run `tool_name` with `input`. */
export interface PermissionRequestLine {
  token: string;
  tool_name: string;
  input: Record<string, unknown>;
  tool_use_id?: string;
}

/** Driver → MCP server: the decision. `message` is what the model is told on a denial. */
export interface PermissionReplyLine {
  allow: boolean;
  message?: string;
}

/**
 * What the permission tool returns to Claude Code, as the JSON text of its one content block:
 * allow (with the input to run, unchanged here) or deny (with the reason the model sees).
 */
export type PermissionToolResult = { behavior: 'allow'; updatedInput: Record<string, unknown> } | { behavior: 'deny'; message: string };
