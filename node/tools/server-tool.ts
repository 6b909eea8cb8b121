/**
 * Runs one call of a server-defined Tool (resources/kinds/tool.ts) in the run's workspace: the
 * input is checked against the Tool's inputSchema first, then the Tool's argv runs the way
 * RunCommand's shell does (own process group, timeout, head-and-tail output cap, cancellation,
 * nested sandbox with network only when granted), with the input as JSON on stdin and in
 * SIDEKICK_TOOL_INPUT. The result says which of the Tool's variables this machine withheld.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { ServerTool, ToolResult } from '../drivers/contract.js';
import { inputCheckFor } from '../../resources/input-schema.js';
import { timerDelay } from '../../api/timers.js';
import { runProcess } from './run-command.js';
import { resolveInWorkspace } from './workspace-path.js';

/** The variable every call gets its input in (besides stdin). */
export const TOOL_INPUT_ENV = 'SIDEKICK_TOOL_INPUT';

/** How the calls of one run are made. */
export interface ServerToolContext {
  /** The canonical workspace root. */
  root: string;
  /** The command environment without the Tool's own variables (sanitized, plus the agent's). */
  env: Record<string, string>;
  outputCapBytes: number;
  killGraceMs: number;
  sandbox?: { bwrap: string; network: boolean };
}

/** Why `input` may not be given to `tool`, or undefined when it fits its inputSchema. */
export function serverToolInputProblem(tool: ServerTool, input: unknown): string | undefined {
  let problem: string | undefined;
  try {
    problem = inputCheckFor(tool.inputSchema)(input);
  } catch (err) {
    return `tool ${tool.name} has an invalid inputSchema (${(err as Error).message})`;
  }
  return problem === undefined ? undefined : `input does not match the inputSchema of tool ${tool.name}: ${problem}`;
}

/** Runs one call; every failure is a result, only an aborted signal rejects. */
export async function runServerTool(tool: ServerTool, input: Record<string, unknown>, ctx: ServerToolContext, signal: AbortSignal): Promise<ToolResult> {
  const problem = serverToolInputProblem(tool, input);
  if (problem) return { ok: false, output: problem, durationMs: 0 };
  const dir = await resolveInWorkspace(ctx.root, tool.workingDir ?? '.', { write: false });
  if (!dir.ok) return { ok: false, output: `tool ${tool.name}: workingDir: ${dir.error}`, durationMs: 0 };
  if (!(await stat(dir.absolute).catch(() => undefined))?.isDirectory()) {
    return { ok: false, output: `tool ${tool.name}: workingDir ${dir.relative} is not a directory of the workspace`, durationMs: 0 };
  }
  const json = JSON.stringify(input);
  const [program, ...args] = tool.command;
  // A relative program path (./scripts/lint.sh) means the working directory's, as in a shell there.
  const file = program!.includes('/') ? path.resolve(dir.absolute, program!) : program!;
  const result = await runProcess(
    [file, ...args],
    {
      cwd: dir.absolute,
      env: { ...ctx.env, ...tool.env, [TOOL_INPUT_ENV]: json },
      stdin: json,
      timeoutMs: timerDelay(tool.timeoutSeconds * 1000),
      outputCapBytes: ctx.outputCapBytes,
      killGraceMs: ctx.killGraceMs,
      ...(ctx.sandbox ? { sandbox: ctx.sandbox } : {}),
    },
    signal,
  );
  const withheld = tool.withheldEnv ?? [];
  if (withheld.length === 0) return result;
  const note = `[environment withheld by this machine (it runs without --allow-env-passthrough): ${withheld.join(', ')}]`;
  return { ...result, output: result.output === '' || result.output.endsWith('\n') ? `${result.output}${note}` : `${result.output}\n${note}` };
}

/**
 * The Tools as the launcher hands them to a driver host: the Tools' environment kept only when
 * this machine passes environment through, else emptied and its names listed in `withheldEnv`,
 * so the values never reach the host process (nor the agent) at all.
 */
export function withholdServerEnv(tools: readonly ServerTool[], allowEnvPassthrough: boolean): ServerTool[] {
  if (allowEnvPassthrough) return [...tools];
  return tools.map((tool) => {
    const names = Object.keys(tool.env);
    const { withheldEnv: _old, ...rest } = tool;
    return names.length === 0 ? { ...rest, env: {} } : { ...rest, env: {}, withheldEnv: names.sort() };
  });
}
