/**
 * The Codex driver: runs `codex exec --json` in the run's workspace, one process per turn,
 * continuing the thread with `codex exec … resume <thread_id> -- <prompt>` (the argv order of
 * OpenAI's own TypeScript SDK: exec options before the subcommand, the prompt after `--`).
 *
 * `codex exec` is non-interactive: it never asks for approval, it enforces its sandbox policy
 * instead (workspace-write, or read-only for a read-only workspace). So this driver declares no
 * interactive requests, and our approval gate is not consulted for Codex's own tool calls.
 */
import { CliDriver, type CliLaunch, type CliTurn, type LineMapper } from './cli-process.js';
import { CodexEventMapper } from './codex-events.js';
import type { DriverCapabilities, DriverStartContext } from './contract.js';

/** The argv for one Codex process. Instructions have no flag in exec, so they open the first prompt. */
export function codexArgs(ctx: Pick<DriverStartContext, 'agent' | 'workspace'>, turn: CliTurn): string[] {
  const args = ['exec', '--json'];
  if (ctx.agent.model) args.push('--model', ctx.agent.model);
  args.push('--sandbox', ctx.workspace.readOnly ? 'read-only' : 'workspace-write');
  // The workspace may be a scratch directory rather than a git checkout; our workspace layer owns that choice.
  args.push('--cd', ctx.workspace.path, '--skip-git-repo-check');
  if (turn.resumeId) args.push('resume', turn.resumeId);
  const prompt = !turn.resumeId && ctx.agent.instructions ? `${ctx.agent.instructions}\n\n${turn.prompt}` : turn.prompt;
  args.push('--', prompt);
  return args;
}

/** Drives the Codex CLI for one run. */
export class CodexDriver extends CliDriver {
  protected readonly displayName = 'Codex';
  protected readonly defaultCommand = 'codex';

  capabilities(): DriverCapabilities {
    return { resume: true, steer: false, interactiveRequests: false, toolCalls: true, reasoningStream: true };
  }

  protected launch(ctx: DriverStartContext, turn: CliTurn): CliLaunch {
    return { args: codexArgs(ctx, turn) };
  }

  protected newMapper(turnsSoFar: number): LineMapper {
    return new CodexEventMapper(turnsSoFar);
  }
}
