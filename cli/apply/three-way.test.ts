import { describe, expect, test } from '@jest/globals';
import { LAST_APPLIED, lastAppliedValue, readLastApplied, threeWayMergePatch, withLastApplied } from './three-way.js';
import type { KubeObject } from '../../resources/meta.js';

describe('threeWayMergePatch', () => {
  test.each([
    ['nothing changed', { a: 1 }, { a: 1 }, { a: 1, server: 'x' }, {}],
    ['a changed field is set', { a: 1 }, { a: 2 }, { a: 1 }, { a: 2 }],
    ['a field dropped from the manifest is deleted', { a: 1, b: 2 }, { a: 1 }, { a: 1, b: 2 }, { b: null }],
    ['a dropped field already gone is not touched', { a: 1, b: 2 }, { a: 1 }, { a: 1 }, {}],
    ['fields set by others are kept', {}, { a: 1 }, { a: 1, defaulted: true }, {}],
    ['a live value drifted from the manifest is restored', { a: 1 }, { a: 1 }, { a: 5 }, { a: 1 }],
    ['nested maps recurse', { spec: { x: 1, y: 2 } }, { spec: { x: 1 } }, { spec: { x: 1, y: 2, z: 3 } }, { spec: { y: null } }],
    ['lists are atomic', { l: [1, 2] }, { l: [1] }, { l: [1, 2] }, { l: [1] }],
    ['a new nested map is sent whole', {}, { spec: { x: 1 } }, {}, { spec: { x: 1 } }],
    ['a scalar replaced by a map', { v: 1 }, { v: { a: 1 } }, { v: 1 }, { v: { a: 1 } }],
    ['no last-applied: nothing is deleted', undefined, { a: 1 }, { a: 1, b: 2 }, {}],
  ])('%s', (_name, original, modified, current, expected) => {
    expect(threeWayMergePatch(original, modified as Record<string, unknown>, current)).toEqual(expected);
  });
});

describe('last-applied annotation', () => {
  const manifest: KubeObject = { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Run', metadata: { name: 'x', annotations: { note: 'n' } }, spec: { a: 1 } };

  test('holds the manifest without itself, as JSON with a newline like kubectl', () => {
    const applied = withLastApplied(manifest);
    const value = applied.metadata.annotations![LAST_APPLIED];
    expect(value.endsWith('\n')).toBe(true);
    expect(JSON.parse(value)).toEqual(manifest);
    expect(applied.metadata.annotations!.note).toBe('n');
    expect(readLastApplied(applied)).toEqual(manifest);
    expect(lastAppliedValue(applied)).toBe(value);
  });

  test('unreadable annotations read as absent', () => {
    expect(readLastApplied({ ...manifest, metadata: { annotations: { [LAST_APPLIED]: '{nope' } } })).toBeUndefined();
  });
});
