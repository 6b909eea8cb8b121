import { describe, expect, test } from '@jest/globals';
import { JsonPathTemplate, TemplateError, relaxedJsonPath } from './jsonpath-template.js';
import { parseCustomColumns, parseCustomColumnsFile, printCustomColumns } from './custom-columns.js';
import { humanDuration, shortHumanDuration } from './age.js';
import { alignRows, DESCRIBE_LAYOUT, TabWriter, TABLE_LAYOUT } from './tabwriter.js';
import { sortByJsonPath } from './sort.js';

const list = {
  kind: 'List',
  items: [
    { metadata: { name: 'a', labels: { 'app.kubernetes.io/name': 'web' } }, status: { phase: 'Running', turns: 3, conditions: [{ type: 'Ready', status: 'True' }, { type: 'Stalled', status: 'False' }] } },
    { metadata: { name: 'b' }, spec: { tools: ['ReadFile', 'WriteFile'] }, status: { phase: 'Completed', turns: 10 } },
  ],
};

describe('JSONPath templates', () => {
  test.each([
    ['{.items[*].metadata.name}', 'a b'],
    ['{range .items[*]}{.metadata.name}{"\\n"}{end}', 'a\nb\n'],
    ['{range .items[*]}{.metadata.name}{"\\t"}{.status.phase}{"\\n"}{end}', 'a\tRunning\nb\tCompleted\n'],
    ['{.items[0].status.phase}', 'Running'],
    ['{.items[-1].metadata.name}', 'b'],
    ['{.items[?(@.status.phase=="Completed")].metadata.name}', 'b'],
    ['{.items[0].status.conditions[?(@.type=="Ready")].status}', 'True'],
    ['{.items[0].metadata.labels.app\\.kubernetes\\.io/name}', 'web'],
    ["{.items[0].metadata.labels['app.kubernetes.io/name']}", 'web'],
    ['{.items[1].spec.tools}', '["ReadFile","WriteFile"]'],
    ['{.items[*].status.turns}', '3 10'],
    ['{.items[0].status.missing}', ''],
    ['{..name}', 'a b'],
    ['names: {.items[*].metadata.name}!', 'names: a b!'],
    ['{.kind}', 'List'],
    ['{.items[0].metadata.name,.items[1].status.phase}', 'a Completed'],
    ["{.items[0].metadata.labels['app.kubernetes.io/name'],.kind}", 'web List'],
    ['{"a,}b"}', 'a,}b'],
  ])('%s', (template, expected) => {
    expect(new JsonPathTemplate(template).execute(list)).toBe(expected);
  });

  test('unclosed actions and ranges are errors', () => {
    expect(() => new JsonPathTemplate('{.items')).toThrow(TemplateError);
    expect(() => new JsonPathTemplate('{range .items[*]}{.x}')).toThrow(/unclosed range/);
    expect(() => new JsonPathTemplate('{end}')).toThrow(/not in range/);
  });

  test.each([
    ['.metadata.name', '{.metadata.name}'],
    ['metadata.name', '{.metadata.name}'],
    ['{.metadata.name}', '{.metadata.name}'],
  ])('relaxed %s', (input, expected) => expect(relaxedJsonPath(input)).toBe(expected));
});

describe('custom columns', () => {
  test('values, <none> for missing, commas for several', () => {
    const cols = parseCustomColumns('NAME:.metadata.name,PHASE:.status.phase,TOOLS:.spec.tools[*]');
    const rows = printCustomColumns(cols, list.items).split('\n');
    expect(rows[0]).toBe('NAME   PHASE       TOOLS');
    expect(rows[1]).toBe('a      Running     <none>');
    expect(rows[2]).toBe('b      Completed   ReadFile,WriteFile');
  });

  test('no headers, file form, bad specs', () => {
    expect(printCustomColumns(parseCustomColumns('N:.metadata.name'), list.items, true)).toBe('a\nb\n');
    const cols = parseCustomColumnsFile('NAME   PHASE\n.metadata.name   .status.phase\n');
    expect(cols.map((c) => c.header)).toEqual(['NAME', 'PHASE']);
    expect(() => parseCustomColumns('NAME')).toThrow(/expected <header>:<json-path-expr>/);
  });
});

describe('ages', () => {
  const s = 1000;
  const m = 60 * s;
  const h = 60 * m;
  const d = 24 * h;
  test.each([
    [-5 * s, '<invalid>'],
    [-1 * s, '0s'],
    // kubectl truncates toward zero: a second and a half of clock skew is still 0s.
    [-1.5 * s, '0s'],
    [0, '0s'],
    [59 * s, '59s'],
    [119 * s, '119s'],
    [2 * m, '2m'],
    [5 * m + 30 * s, '5m30s'],
    [10 * m + 30 * s, '10m'],
    [179 * m, '179m'],
    [3 * h, '3h'],
    [3 * h + 20 * m, '3h20m'],
    [8 * h + 20 * m, '8h'],
    [47 * h, '47h'],
    [2 * d + 4 * h, '2d4h'],
    [3 * d, '3d'],
    [10 * d, '10d'],
    [800 * d, '2y70d'],
    [3000 * d, '8y'],
  ])('humanDuration(%d) = %s', (ms, text) => expect(humanDuration(ms)).toBe(text));

  test.each([
    [30 * s, '30s'],
    [3 * m + 59 * s, '3m'],
    [90 * m, '1h'],
    [30 * h, '1d'],
    [400 * d, '1y'],
  ])('shortHumanDuration(%d) = %s', (ms, text) => expect(shortHumanDuration(ms)).toBe(text));
});

describe('tabwriter', () => {
  test('kubectl table layout: 3 spaces, min width 6, no trailing spaces', () => {
    expect(alignRows([['NAME', 'A', 'AGE'], ['hello-world', 'x', '5m']], TABLE_LAYOUT)).toBe('NAME          A     AGE\nhello-world   x     5m\n');
  });

  test('describe layout: column blocks end at lines without tabs', () => {
    const w = new TabWriter(DESCRIBE_LAYOUT);
    w.write('Name:\thello\nNamespace:\tdefault\nSpec:\n  Agent:\ta\n  Repo Mount:\tweb\n');
    expect(w.flush()).toBe('Name:       hello\nNamespace:  default\nSpec:\n  Agent:       a\n  Repo Mount:  web\n');
  });

  test('remembered widths only grow across flushes (watch output)', () => {
    const w = new TabWriter({ ...TABLE_LAYOUT, rememberWidths: true });
    w.write('NAME\tPHASE\nlonger-name\tRunning\n');
    w.flush();
    w.write('a\tDone\n');
    expect(w.flush()).toBe('a             Done\n');
  });
});

describe('--sort-by', () => {
  test('numbers numerically, strings lexically, missing first', () => {
    const items = [{ n: 10, s: 'b' }, { n: 9, s: 'a' }, { s: 'c' }];
    expect(sortByJsonPath(items, '.n', (i) => i).map((i) => i.s)).toEqual(['c', 'a', 'b']);
    expect(sortByJsonPath(items, '{.s}', (i) => i).map((i) => i.s)).toEqual(['a', 'b', 'c']);
  });
});
