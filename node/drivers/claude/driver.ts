/**
 * The Claude driver: runs the Claude Code CLI headless (`claude --output-format stream-json
 * --verbose … -p <prompt>`) in the run's workspace, one process per turn, continuing the provider
 * session with `--resume <session_id>`. Permission prompts go through our approval gate via
 * `--permission-prompt-tool` and a small MCP server (permission.ts). Steer cannot reach a
 * running CLI, so it interrupts the process and resumes the session with the steer text (degraded).
 */
import { fileURLToPath } from 'node:url';
import { CliDriver, type CliDriverOptions, type CliLaunch, type CliTurn } from '../cli-driver.js';
import type { LineMapper } from '../cli-conversation.js';
import { ClaudePermissionChannel } from './permission.js';
import { PERMISSION_PROMPT_TOOL } from './permission-wire.js';
import { ClaudeStreamMapper } from './stream.js';
import type { AgentConfig, DriverCapabilities, DriverStartContext } from '../contract.js';

/**
 * The Claude Code built-in tools each of our tool names stands for (the names `--tools` takes in
 * 2.1.x; LS and MultiEdit are gone there, and an unknown name is silently ignored). Every other
 * built-in — WebFetch, WebSearch, Agent/Task, Skill, Workflow, the cron and worktree tools — has no
 * counterpart of ours, so no agent is offered it.
 */
const CLAUDE_TOOLS_FOR: Readonly<Record<string, readonly string[]>> = {
  RunCommand: ['Bash'],
  ReadFile: ['Read'],
  WriteFile: ['Write'],
  EditFile: ['Edit', 'NotebookEdit'],
  ListFiles: ['Glob', 'Grep'],
};
/** Longest a permission prompt may wait for its approval (24 h). */
const APPROVAL_WAIT_MS = 24 * 60 * 60 * 1000;
const WRITING_TOOLS = new Set(['Write', 'Edit', 'NotebookEdit']);

export interface ClaudeDriverOptions extends CliDriverOptions {
  /** Compiled permission-mcp.js (default: the file beside this module). */
  permissionServerScript?: string;
  /** Node binary that runs the permission server (default: this process's). */
  nodePath?: string;
}

/** The Claude Code built-in tools the CLI may offer: those of the agent's tools, without writes in a read-only workspace. */
export function claudeToolsFor(agent: Pick<AgentConfig, 'tools'>, readOnly: boolean): string[] {
  const tools = (agent.tools as string[]).flatMap((ours) => CLAUDE_TOOLS_FOR[ours] ?? []);
  return [...new Set(tools)].filter((t) => !(readOnly && WRITING_TOOLS.has(t)));
}

/** The argv for one Claude Code process. */
export function claudeArgs(ctx: Pick<DriverStartContext, 'agent' | 'workspace'>, turn: CliTurn, mcpConfigPath: string): string[] {
  const args = ['--output-format', 'stream-json', '--verbose'];
  if (ctx.agent.model) args.push('--model', ctx.agent.model);
  if (ctx.agent.instructions) args.push('--append-system-prompt', ctx.agent.instructions);
  if (turn.resumeId) args.push('--resume', turn.resumeId);
  args.push('--max-turns', String(Math.max(1, ctx.agent.maxTurns - turn.turns)));
  // Only our permission hook: MCP servers from the user's or the repository's config would offer
  // the model tools the agent was not given.
  args.push('--mcp-config', mcpConfigPath, '--strict-mcp-config', '--permission-prompt-tool', PERMISSION_PROMPT_TOOL);
  // The exact built-in set ("" for none): a deny list would let through every tool a newer CLI adds.
  args.push('--tools', claudeToolsFor(ctx.agent, ctx.workspace.readOnly).join(','));
  // No user, project or local settings: their permissions.allow rules let a tool run without asking
  // the permission tool, and the agent can write them (~/.claude/settings.json in its own HOME,
  // .claude/ in its workspace) — a rule written in one turn would skip the gate from the next.
  args.push('--setting-sources', '');
  // Prompt last, as Anthropic's SDK passes it; `--` keeps a prompt that starts with "-" from reading as a flag.
  args.push('-p', ...(turn.prompt.startsWith('-') ? ['--'] : []), turn.prompt);
  return args;
}

/** Drives Claude Code for one run. */
export class ClaudeDriver extends CliDriver {
  protected readonly displayName = 'Claude Code';
  protected readonly defaultCommand = 'claude';
  private readonly serverScript: string;
  private readonly nodePath?: string;
  private channel?: ClaudePermissionChannel;

  constructor(opts: ClaudeDriverOptions = {}) {
    super(opts);
    this.serverScript = opts.permissionServerScript ?? fileURLToPath(new URL('./permission-mcp.js', import.meta.url));
    this.nodePath = opts.nodePath;
  }

  capabilities(): DriverCapabilities {
    return { resume: true, steer: false, interactiveRequests: true, toolCalls: true, reasoningStream: true };
  }

  protected override async prepare(ctx: DriverStartContext): Promise<void> {
    this.channel = await ClaudePermissionChannel.open({ broker: ctx.tools, serverScript: this.serverScript, nodePath: this.nodePath });
  }

  protected override async release(): Promise<void> {
    const channel = this.channel;
    this.channel = undefined;
    await channel?.close();
  }

  protected launch(ctx: DriverStartContext, turn: CliTurn): CliLaunch {
    if (!this.channel) throw new Error('Claude permission channel is not open');
    // A permission prompt waits for a person; the CLI's MCP tool-call timeout must not cut it short.
    return { args: claudeArgs(ctx, turn, this.channel.mcpConfigPath), env: { MCP_TOOL_TIMEOUT: String(APPROVAL_WAIT_MS) } };
  }

  protected newMapper(turnsSoFar: number): LineMapper {
    return new ClaudeStreamMapper(turnsSoFar);
  }
}
