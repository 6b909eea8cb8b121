/** What `cancel`, `interrupt` and `steer` share: one Intervention on a run, its outcome awaited and printed. */
import { ApiCommand } from '../base-command.js';
import { ExitCodeError } from '../errors.js';
import { awaitOutcome, createIntervention, failed, outcomeLine, outcomeTimeout, runName, type InterventionRequest } from './request.js';

/** A command that asks for one Intervention on `run/NAME`; subclasses declare the options and the request. */
export abstract class InterventionCommand extends ApiCommand {
  /** `--timeout`: how long to wait for the outcome. */
  abstract timeout: string;
  /** `run/NAME`. */
  abstract target: string;

  /** Creates the intervention, waits up to `--timeout` for its outcome and prints it; exits 1 when it failed. */
  protected async intervene(req: InterventionRequest): Promise<number> {
    const run = runName(this.target);
    const timeoutMs = outcomeTimeout(this.timeout);
    const created = await createIntervention(this.client(), this.namespace, run, req);
    const iv = await awaitOutcome(this.client(), this.namespace, created, req.type, { timeoutMs, signal: this.context.signal });
    this.out(outcomeLine(iv));
    if (failed(iv)) throw new ExitCodeError(1);
    return 0;
  }
}
