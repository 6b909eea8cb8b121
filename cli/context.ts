/**
 * The context every command runs with. Tests pass their own streams, environment (SIDEKICK_HOME
 * of a temp daemon) and working directory, so the CLI runs in-process against a real daemon.
 */
import type { BaseContext } from 'clipanion';

/** clipanion's context plus what our commands read from the world. */
export interface CliContext extends BaseContext {
  /** Directory relative paths (-f) are resolved against. */
  cwd: string;
  /** Aborts long-running commands (get -w, apply --watch, daemon run, logs -f) — SIGINT in main. */
  signal: AbortSignal;
}
