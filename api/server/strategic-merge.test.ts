import { describe, expect, it } from '@jest/globals';
import { rejection } from '../../test/rejection.js';
import { strategicMergePatch } from './strategic-merge.js';

const live = {
  metadata: {
    name: 'l',
    labels: { a: '1', b: '2' },
    finalizers: ['x', 'y'],
    ownerReferences: [
      { uid: 'u1', name: 'one', kind: 'K', apiVersion: 'v1' },
      { uid: 'u2', name: 'two', kind: 'K', apiVersion: 'v1' },
    ],
  },
  spec: { holderIdentity: 'a', leaseDurationSeconds: 15, list: [1, 2] },
};

describe('strategicMergePatch', () => {
  it.each<[string, unknown, unknown]>([
    ['merges maps and deletes with null', { metadata: { labels: { a: null, c: '3' } } }, { ...live.metadata, labels: { b: '2', c: '3' } }],
    ['merges finalizers as a set', { metadata: { finalizers: ['y', 'z'] } }, { ...live.metadata, finalizers: ['x', 'y', 'z'] }],
    ['deletes from a primitive list', { metadata: { '$deleteFromPrimitiveList/finalizers': ['x'] } }, { ...live.metadata, finalizers: ['y'] }],
    [
      'merges owner references by uid, and deletes one with $patch',
      { metadata: { ownerReferences: [{ uid: 'u2', $patch: 'delete' }, { uid: 'u1', name: 'uno' }, { uid: 'u3', name: 'three' }] } },
      { ...live.metadata, ownerReferences: [{ ...live.metadata.ownerReferences[0], name: 'uno' }, { uid: 'u3', name: 'three' }] },
    ],
    ['ignores $setElementOrder', { metadata: { '$setElementOrder/finalizers': ['y', 'x'] } }, live.metadata],
  ])('%s', (_name, patch, metadata) => {
    expect((strategicMergePatch(live, patch) as typeof live).metadata).toEqual(metadata);
  });

  it('replaces other lists, and a map marked $patch: replace', () => {
    expect((strategicMergePatch(live, { spec: { list: [3] } }) as typeof live).spec).toEqual({ ...live.spec, list: [3] });
    expect((strategicMergePatch(live, { spec: { $patch: 'replace', holderIdentity: 'b' } }) as typeof live).spec).toEqual({ holderIdentity: 'b' });
  });

  it('keeps only $retainKeys', () => {
    expect((strategicMergePatch(live, { spec: { $retainKeys: ['holderIdentity'], holderIdentity: 'c' } }) as typeof live).spec).toEqual({ holderIdentity: 'c' });
  });

  it('refuses an unknown $patch with 400', async () => {
    const err = await rejection((async () => strategicMergePatch(live, { spec: { $patch: 'explode' } }))());
    expect(err).toMatchObject({ reason: 'BadRequest', message: 'unknown patch type: explode in spec' });
  });
});
