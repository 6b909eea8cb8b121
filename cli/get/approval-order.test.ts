import { describe, expect, test } from '@jest/globals';
import { orderApprovalRows, orderApprovals } from './approval-order.js';
import type { Table } from '../../api/client/types.js';
import type { KubeObject } from '../../resources/meta.js';

const approval = (name: string, phase: string, created: string): KubeObject => ({ apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Approval', metadata: { name, creationTimestamp: created }, status: { phase } });

// Names in the opposite order of what is expected, so a name sort cannot pass.
const items = [
  approval('a-old-approved', 'Approved', '2026-01-01T10:00:00Z'),
  approval('b-new-pending', 'Pending', '2026-01-01T12:00:00Z'),
  approval('c-rejected', 'Rejected', '2026-01-01T09:00:00Z'),
  approval('d-old-pending', 'Pending', '2026-01-01T11:00:00Z'),
];
const expected = ['d-old-pending', 'b-new-pending', 'c-rejected', 'a-old-approved'];

describe('approval order', () => {
  test('pending first, each group oldest first', () => {
    expect(orderApprovals(items).map((o) => o.metadata.name)).toEqual(expected);
  });

  test('table rows: the phase is read from the Phase cell, the age from the row metadata', () => {
    const table: Table = {
      kind: 'Table',
      apiVersion: 'meta.k8s.io/v1',
      metadata: {},
      columnDefinitions: [{ name: 'Name', type: 'string' }, { name: 'Phase', type: 'string' }] as Table['columnDefinitions'],
      rows: items.map((o) => ({ cells: [o.metadata.name, (o.status as { phase: string }).phase], object: { metadata: o.metadata } })) as Table['rows'],
    };
    expect(orderApprovalRows(table).map((r) => r.cells[0])).toEqual(expected);
  });
});
