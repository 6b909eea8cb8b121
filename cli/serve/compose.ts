/** The composition root of `sidekick serve`: composed by the lead (this placeholder only fixes the signature). */
import type { ServeOptions } from './options.js';

export async function startNode(opts: ServeOptions): Promise<{ stop(): Promise<void> }> {
  void opts;
  throw new Error('startNode: composed by the lead');
}
