/** Field sets, FieldsV1 encoding and the ownership rules of updates and server-side apply. */
import { describe, expect, it } from '@jest/globals';
import { runInNewContext } from 'node:vm';
import { isReason } from '../errors.js';
import { displayPath, fieldsOf, fromFieldsV1, removeAt, toFieldsV1, valueAt } from './fieldset.js';
import { keepTimestampsOfNoOp, planApply, recordUpdate, type OwnershipContext } from './managed-fields.js';
import { listKeysOf } from './list-keys.js';
import { mergeApplied, mergePatch } from './patch.js';
import { Session } from '../../resources/kinds/session.js';

/** Session members are keyed by participant in the schema. */
const keys = listKeysOf(Session);
const ctx = (manager: string): OwnershipContext => ({
  manager,
  apiVersion: 'sidekicks.dev/v1alpha1',
  hasStatus: true,
  listKeys: keys,
  now: new Date('2026-01-01T00:00:00Z'),
});

const obj = (spec: Record<string, unknown>, metadata: Record<string, unknown> = {}) => ({
  apiVersion: 'sidekicks.dev/v1alpha1',
  kind: 'Session',
  metadata: { name: 's', namespace: 'default', ...metadata },
  spec,
  status: { phase: 'Active' },
});

describe('field sets', () => {
  it('encodes leaves, string maps and keyed list items as FieldsV1', () => {
    const fields = fieldsOf(obj({ title: 't', members: [{ participant: 'alice', role: 'Owner' }], tags: ['a', 'b'] }, { labels: { team: 'x' } }), false, keys);
    expect(toFieldsV1(fields)).toEqual({
      'f:metadata': { 'f:labels': { '.': {}, 'f:team': {} } },
      'f:spec': {
        'f:members': { 'k:{"participant":"alice"}': { '.': {}, 'f:participant': {}, 'f:role': {} } },
        'f:tags': {},
        'f:title': {},
      },
    });
    expect(fromFieldsV1(toFieldsV1(fields))).toEqual(fields);
  });

  it('reads, removes and prints paths', () => {
    const o = obj({ members: [{ participant: 'alice', role: 'Owner' }, { participant: 'bob' }] });
    const path = 'f:spec\nf:members\nk:{"participant":"alice"}\nf:role';
    expect(valueAt(o, path)).toBe('Owner');
    expect(displayPath(path)).toBe('.spec.members[participant="alice"].role');
    removeAt(o, 'f:spec\nf:members\nk:{"participant":"bob"}');
    expect(o.spec.members).toEqual([{ participant: 'alice', role: 'Owner' }]);
  });
});

describe('ownership', () => {
  it('an update takes the fields it changed from other managers', () => {
    const created = obj({ title: 'a', description: 'd' });
    created.metadata = { ...created.metadata, managedFields: recordUpdate(undefined, created, ctx('creator')) } as typeof created.metadata;
    const edited = { ...structuredClone(created), spec: { title: 'b', description: 'd' } };
    const entries = recordUpdate(created, edited, ctx('editor'));
    expect(entries.map((e) => [e.manager, e.fieldsV1])).toEqual([
      ['creator', { 'f:spec': { 'f:description': {} } }],
      ['editor', { 'f:spec': { 'f:title': {} } }],
    ]);
  });

  it('apply conflicts only where values differ, and force moves ownership', () => {
    const live = obj({ title: 'a', description: 'd' });
    live.metadata = { ...live.metadata, managedFields: recordUpdate(undefined, live, ctx('owner')) } as typeof live.metadata;
    expect(() => planApply(live, obj({ title: 'a' }), ctx('applier'), false)).not.toThrow();
    let error: unknown;
    try {
      planApply(live, obj({ title: 'b', description: 'e' }), ctx('applier'), false);
    } catch (err) {
      error = err;
    }
    expect(isReason(error, 'Conflict')).toBe(true);
    expect((error as Error).message).toBe('Apply failed with 2 conflicts: conflicts with "owner":\n- .spec.title\n- .spec.description');
    const forced = planApply(live, obj({ title: 'b' }), ctx('applier'), true);
    const owner = forced.managedFields.find((e) => e.manager === 'owner')!;
    expect(owner.fieldsV1).toEqual({ 'f:spec': { 'f:description': {} } });
  });

  it('apply removes what this manager stopped applying unless someone else owns it', () => {
    const first = obj({ title: 'a', description: 'd' });
    const plan1 = planApply(obj({}), first, ctx('me'), false);
    const live = { ...(mergeApplied(obj({}), first, keys) as ReturnType<typeof obj>) };
    live.metadata = { ...live.metadata, managedFields: plan1.managedFields } as typeof live.metadata;
    const plan2 = planApply(live, obj({ title: 'a' }), ctx('me'), false);
    expect(plan2.remove).toEqual(['f:spec\nf:description']);
  });
});

describe('merge', () => {
  it('merge patch follows RFC 7386', () => {
    expect(mergePatch({ a: { b: 1, c: 2 }, l: [1] }, { a: { b: null, d: 3 }, l: [2] })).toEqual({ a: { c: 2, d: 3 }, l: [2] });
  });

  it('apply merges keyed lists item by item and replaces atomic lists', () => {
    const live = { spec: { members: [{ participant: 'a', role: 'Owner' }, { participant: 'b', role: 'Viewer' }], tags: ['x'] } };
    const applied = { spec: { members: [{ participant: 'b', role: 'Owner' }, { participant: 'c' }], tags: ['y'] } };
    expect(mergeApplied(live, applied, keys)).toEqual({
      spec: { members: [{ participant: 'a', role: 'Owner' }, { participant: 'b', role: 'Owner' }, { participant: 'c' }], tags: ['y'] },
    });
  });
});

describe('keepTimestampsOfNoOp', () => {
  const entry = (time: string, fields = { 'f:spec': { 'f:title': {} } }) => ({ manager: 'kubectl', operation: 'Apply' as const, apiVersion: 'sidekicks.dev/v1alpha1', time, fieldsType: 'FieldsV1' as const, fieldsV1: fields });
  const obj = (title: string, time: string, fields?: Record<string, unknown>) => ({ metadata: { name: 'x', resourceVersion: '3', managedFields: [entry(time, fields as never)] }, spec: { title } });

  it('keeps the stored timestamps when nothing else changed (so the write is a no-op)', () => {
    const next = obj('a', '2026-12-05T02:18:33Z');
    keepTimestampsOfNoOp(obj('a', '2026-12-05T02:18:32Z'), next);
    expect(next.metadata.managedFields[0]!.time).toBe('2026-12-05T02:18:32Z');
  });

  it('leaves the new timestamps when the object or its field ownership changed', () => {
    const changed = obj('b', '2026-12-05T02:18:33Z');
    keepTimestampsOfNoOp(obj('a', '2026-12-05T02:18:32Z'), changed);
    expect(changed.metadata.managedFields[0]!.time).toBe('2026-12-05T02:18:33Z');
    const owned = obj('a', '2026-12-05T02:18:33Z', { 'f:spec': {} });
    keepTimestampsOfNoOp(obj('a', '2026-12-05T02:18:32Z'), owned);
    expect(owned.metadata.managedFields[0]!.time).toBe('2026-12-05T02:18:33Z');
  });
});

/**
 * Under jest, structuredClone (the merge patch's copies) builds arrays of another realm than the
 * test's literals; a comparison that looks at prototypes finds identical lists different, and an
 * unchanged write restamps managedFields (the flake of "applying it again is a no-op").
 */
describe('an unchanged write across realms and seconds', () => {
  const foreign = <T>(value: T): T => runInNewContext(`(${JSON.stringify(value)})`) as T;
  const later = (manager: string): OwnershipContext => ({ ...ctx(manager), now: new Date('2026-01-01T00:00:01Z') });
  const spec = { title: 't', tags: ['a', 'b'], members: [{ participant: 'alice', role: 'Owner' }] };

  it('an update that resends the same lists changes no ownership and no timestamp', () => {
    const created = obj(spec);
    created.metadata = { ...created.metadata, managedFields: recordUpdate(undefined, created, ctx('kubectl')) } as never;
    const resent = foreign(created);
    const managedFields = recordUpdate(created, resent, later('kubectl'));
    expect(managedFields).toEqual((created.metadata as Record<string, unknown>).managedFields);
  });

  it('a re-apply of the same configuration a second later keeps the applier\'s time', () => {
    const first = planApply(obj({}), obj(spec), ctx('kubectl'), false);
    const live = mergeApplied(obj({}, { managedFields: first.managedFields }), obj(spec), keys) as Record<string, unknown>;
    const again = planApply(live, foreign(obj(spec)), later('kubectl'), false);
    expect(again.remove).toEqual([]);
    expect(again.managedFields).toEqual(first.managedFields);
  });

  it('a re-apply that changes a value of the applier\'s fields restamps it', () => {
    const first = planApply(obj({}), obj(spec), ctx('kubectl'), false);
    const live = mergeApplied(obj({}, { managedFields: first.managedFields }), obj(spec), keys) as Record<string, unknown>;
    const again = planApply(live, obj({ ...spec, title: 'u' }), later('kubectl'), false);
    expect(again.managedFields.map((e) => e.time)).toEqual(['2026-01-01T00:00:01Z']);
  });

  it('keepTimestampsOfNoOp sees an object of another realm as unchanged', () => {
    const stamped = (time: string) => obj(spec, { managedFields: [{ manager: 'kubectl', operation: 'Apply', time, fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:tags': {} } } }] });
    const next = foreign(stamped('2026-01-01T00:00:01Z'));
    keepTimestampsOfNoOp(stamped('2026-01-01T00:00:00Z'), next);
    expect(((next.metadata as Record<string, unknown>).managedFields as { time: string }[])[0]!.time).toBe('2026-01-01T00:00:00Z');
  });
});
