#!/usr/bin/env node
/** The `sidekick` binary: runs the CLI on process argv; Ctrl-C stops watches and foreground daemons. */
import { runCli } from './run.js';

const controller = new AbortController();
let interrupted = 0;
const onSignal = (): void => {
  // A second Ctrl-C exits at once, like kubectl, when a graceful stop hangs.
  if (interrupted++ > 0) process.exit(130);
  controller.abort();
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

const code = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, signal: controller.signal });
process.stdout.write('', () => process.exit(code));
