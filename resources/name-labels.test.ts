import { describe, expect, test } from '@jest/globals';
import { labelValue as labelValueErrors } from './names.js';
import { nameLabelValue, NameLabel, nameLabels, nameSelector } from './name-labels.js';

const long = (n: number, c = 'a') => c.repeat(n);

describe('nameLabelValue', () => {
  test.each(['r1', 'hello-world', long(63), 'a.b_c-d'])('a name that is a valid label value is kept: %s', (name) => {
    expect(nameLabelValue(name)).toBe(name);
  });

  test.each([
    ['64 characters', long(64)],
    ['253 characters', `${long(200)}.${long(52, 'b')}`],
    ['a dot before the cut', `${long(51)}.${long(40)}`],
  ])('a longer name (%s) becomes a valid label value, unique and stable', (_what, name) => {
    const value = nameLabelValue(name);
    expect(value.length).toBeLessThanOrEqual(63);
    expect(labelValueErrors('metadata.labels', 'k', value)).toEqual([]);
    expect(nameLabelValue(name)).toBe(value);
    expect(nameLabelValue(`${name}x`)).not.toBe(value);
    expect(value.startsWith(name.slice(0, 20))).toBe(true);
  });
});

test('nameLabels and nameSelector derive the same value', () => {
  const run = `${long(70)}-run`;
  const labels = nameLabels({ [NameLabel.Run]: run, [NameLabel.Session]: 's1' });
  expect(labels).toEqual({ [NameLabel.Run]: nameLabelValue(run), [NameLabel.Session]: 's1' });
  expect(nameSelector(NameLabel.Run, run)).toBe(`${NameLabel.Run}=${labels[NameLabel.Run]}`);
});
