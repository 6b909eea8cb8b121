/**
 * Git behind a small interface: the workspace code says which command to run where, and this
 * module decides how (simple-git, strict exit-code checking, a clean environment).
 */
import { simpleGit, type SimpleGitOptions } from 'simple-git';

/** A git command that exited non-zero; `stderr` is what git said. */
export class GitCommandError extends Error {
  readonly args: readonly string[];
  readonly exitCode: number;
  readonly stderr: string;

  constructor(args: readonly string[], exitCode: number, stderr: string) {
    super(`git ${args.join(' ')} exited ${exitCode}: ${stderr.trim() || '(no output)'}`);
    this.name = 'GitCommandError';
    this.args = args;
    this.exitCode = exitCode;
    this.stderr = stderr;
  }
}

export interface GitRunOptions {
  /** Per-command `-c key=value` settings. */
  config?: readonly string[];
}

/** Runs git commands in a directory. */
export interface Git {
  /** Runs `git <args>` in `cwd`; resolves stdout as text, rejects with GitCommandError on a non-zero exit. */
  run(cwd: string, args: readonly string[], opts?: GitRunOptions): Promise<string>;
  /** Like `run`, but resolves stdout as bytes (diffs of files that are not UTF-8). */
  runBuffer(cwd: string, args: readonly string[], opts?: GitRunOptions): Promise<Buffer>;
}

/**
 * The real git, through simple-git. simple-git already strips ambient `GIT_*` variables (a daemon
 * started from a git hook would otherwise aim every command at the hook's repository) and refuses
 * unsafe options. Its default error detection resolves a non-zero exit with empty stderr as success,
 * so every exit code is checked here instead.
 */
export class SimpleGitRunner implements Git {
  async run(cwd: string, args: readonly string[], opts: GitRunOptions = {}): Promise<string> {
    return (await this.runBuffer(cwd, args, opts)).toString('utf8');
  }

  async runBuffer(cwd: string, args: readonly string[], opts: GitRunOptions = {}): Promise<Buffer> {
    let stdout: Buffer = Buffer.alloc(0);
    let failure: GitCommandError | undefined;
    const options: Partial<SimpleGitOptions> = {
      baseDir: cwd,
      config: [...(opts.config ?? [])],
      errors(error, result) {
        stdout = Buffer.concat(result.stdOut);
        if (result.exitCode === 0) return error;
        failure = new GitCommandError(args, result.exitCode, Buffer.concat(result.stdErr).toString('utf8'));
        return failure;
      },
    };
    try {
      await simpleGit(options).raw([...args]);
    } catch (err) {
      // simple-git wraps what the hook returns in its own GitError; rethrow ours, which keeps the exit code.
      throw failure ?? err;
    }
    return stdout;
  }
}

/** Whether `err` is a git failure whose stderr matches `pattern`. */
export function gitSaid(err: unknown, pattern: RegExp): boolean {
  return err instanceof GitCommandError && pattern.test(err.stderr);
}
