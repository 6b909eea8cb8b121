import { describe, expect, it } from '@jest/globals';
import {
  SelectorError,
  labelsToString,
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
} from './selectors.js';

describe('parseLabelSelector', () => {
  const parsed: [string, ReturnType<typeof parseLabelSelector>][] = [
    ['', []],
    ['   ', []],
    ['app=web', [{ key: 'app', operator: 'Equals', values: ['web'] }]],
    ['app==web', [{ key: 'app', operator: 'Equals', values: ['web'] }]],
    ['app != web', [{ key: 'app', operator: 'NotEquals', values: ['web'] }]],
    ['tier in (a, b)', [{ key: 'tier', operator: 'In', values: ['a', 'b'] }]],
    ['tier notin (a)', [{ key: 'tier', operator: 'NotIn', values: ['a'] }]],
    ['sidekicks.dev/session', [{ key: 'sidekicks.dev/session', operator: 'Exists', values: [] }]],
    ['!gone', [{ key: 'gone', operator: 'DoesNotExist', values: [] }]],
    ['app=', [{ key: 'app', operator: 'Equals', values: [''] }]],
    [
      ' a=b , c in (d,e) ,!f, g ',
      [
        { key: 'a', operator: 'Equals', values: ['b'] },
        { key: 'c', operator: 'In', values: ['d', 'e'] },
        { key: 'f', operator: 'DoesNotExist', values: [] },
        { key: 'g', operator: 'Exists', values: [] },
      ],
    ],
  ];
  it.each(parsed)('parses %j', (input, want) => {
    expect(parseLabelSelector(input)).toEqual(want);
  });

  const bad: [string, RegExp][] = [
    ['a=b,', /empty requirement/],
    ['a in (b', /missing "\)"/],
    ['a in b)', /unbalanced/],
    ['a in ()', /at least one value/],
    ['-a=b', /invalid label key "-a"/],
    ['a=b c', /unexpected "b c"/],
    ['a=b=c', /unexpected "=c"|unexpected "b=c"/],
    ['UPPER.example.com/x=y', /invalid label key/],
    ['a=' + 'x'.repeat(64), /invalid label value/],
    ['a b', /cannot parse "a b"/],
  ];
  it.each(bad)('rejects %j', (input, message) => {
    expect(() => parseLabelSelector(input)).toThrow(SelectorError);
    expect(() => parseLabelSelector(input)).toThrow(message);
  });
});

describe('matchesLabels', () => {
  const labels = { app: 'web', tier: 'front', 'sidekicks.dev/session': 's1' };
  const cases: [string, Record<string, string> | undefined, boolean][] = [
    ['', labels, true],
    ['', undefined, true],
    ['app=web', labels, true],
    ['app=db', labels, false],
    ['app!=db', labels, true],
    ['missing!=x', labels, true],
    ['app!=web', labels, false],
    ['tier in (back,front)', labels, true],
    ['tier in (back)', labels, false],
    ['missing in (x)', labels, false],
    ['tier notin (back)', labels, true],
    ['tier notin (front)', labels, false],
    ['missing notin (x)', labels, true],
    ['sidekicks.dev/session', labels, true],
    ['missing', labels, false],
    ['!missing', labels, true],
    ['!app', labels, false],
    ['app=web,tier=front', labels, true],
    ['app=web,tier=back', labels, false],
    ['app', undefined, false],
  ];
  it.each(cases)('%j against %j is %s', (sel, l, want) => {
    expect(matchesLabels(parseLabelSelector(sel), l)).toBe(want);
  });
});

describe('field selectors', () => {
  const obj = {
    metadata: { name: 'r1', namespace: 'default' },
    spec: { session: 's1', replicas: 3 },
    status: { phase: 'Running' },
    involvedObject: { name: 'r1', kind: 'Run' },
  };
  it('parses the three operators and escaped values', () => {
    expect(parseFieldSelector('metadata.name=a, spec.session==b,status.phase!=c,x=a\\,b')).toEqual([
      { path: 'metadata.name', operator: 'Equals', value: 'a' },
      { path: 'spec.session', operator: 'Equals', value: 'b' },
      { path: 'status.phase', operator: 'NotEquals', value: 'c' },
      { path: 'x', operator: 'Equals', value: 'a,b' },
    ]);
    expect(parseFieldSelector('')).toEqual([]);
  });
  const cases: [string, boolean][] = [
    ['metadata.name=r1', true],
    ['metadata.name=r2', false],
    ['metadata.namespace=default,spec.session=s1', true],
    ['status.phase!=Running', false],
    ['status.phase!=Failed', true],
    ['involvedObject.name=r1', true],
    ['spec.replicas=3', true],
    ['spec.missing=', true],
    ['spec.missing!=x', true],
    ['status.phase=Running,metadata.name=other', false],
  ];
  it.each(cases)('%j matches: %s', (sel, want) => {
    expect(matchesFields(parseFieldSelector(sel), obj)).toBe(want);
  });
  it.each(['metadata.name', 'a b=c', '.x=y', 'a..b=c', 'metadata.name=x,'])('rejects %j', (sel) => {
    expect(() => parseFieldSelector(sel)).toThrow(SelectorError);
  });
});

describe('labelsToString', () => {
  it('sorts keys and round-trips through the parser', () => {
    const s = labelsToString({ b: '2', a: '1' });
    expect(s).toBe('a=1,b=2');
    expect(matchesLabels(parseLabelSelector(s), { a: '1', b: '2', c: '3' })).toBe(true);
    expect(labelsToString(undefined)).toBe('');
  });
});
