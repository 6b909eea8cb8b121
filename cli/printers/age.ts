/** Ages as kubectl prints them: the duration formats (api/human-duration.ts) applied to timestamps. */
import { humanDuration } from '../../api/human-duration.js';

export { humanDuration, shortHumanDuration } from '../../api/human-duration.js';

/** Age of an RFC 3339 timestamp relative to `now`, HumanDuration style; `<unknown>` when absent. */
export function ageOf(timestamp: string | undefined, now: number = Date.now()): string {
  if (!timestamp) return '<unknown>';
  const t = Date.parse(timestamp);
  return Number.isNaN(t) ? '<unknown>' : humanDuration(now - t);
}
