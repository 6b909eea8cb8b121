/** Parsing durations (Go's units plus days) for lifetimes such as `--ttl`. */
import { describe, expect, it } from '@jest/globals';
import { humanDuration, parseHumanDuration } from './human-duration.js';

describe('parseHumanDuration', () => {
  it.each([
    ['720h', 720 * 3_600_000],
    ['1h30m', 5_400_000],
    ['1.5h', 5_400_000],
    ['90s', 90_000],
    ['500ms', 500],
    ['30d', 30 * 86_400_000],
    ['2d4h', 52 * 3_600_000],
    ['0s', 0],
  ])('%s → %d ms', (text, ms) => expect(parseHumanDuration(text)).toBe(ms));

  it.each(['', '30', '-1h', '1h30', 'h', '1w', '1 h', '1h ', ' 1h', '1H'])('refuses %j', (text) => expect(parseHumanDuration(text)).toBeUndefined());

  it('reads what the AGE column prints', () => {
    for (const ms of [90_000, 5 * 3_600_000 + 20 * 60_000, 2 * 86_400_000 + 4 * 3_600_000, 30 * 86_400_000]) expect(parseHumanDuration(humanDuration(ms))).toBe(ms);
  });
});
