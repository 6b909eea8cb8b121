/**
 * The writer's literal quoting (postgres-writer.ts) must produce exactly the text node-postgres's
 * escapeLiteral does, since the batch inlines parameters with it instead of sending them.
 */
import { describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { quoteLiteral } from './postgres-writer.js';

describe('quoteLiteral', () => {
  it('quotes every string as node-postgres escapeLiteral does', () => {
    const samples = [
      '',
      'plain',
      "it's",
      "''",
      'back\\slash',
      "both ' and \\ here \\'",
      '{"metadata":{"name":"a"},"message":"say \\"hi\\" and it\'s \\\\ done"}',
      'ünïcödé ✓ \n\t\r',
      '\\',
      "'",
    ];
    for (const s of samples) expect(quoteLiteral(s)).toBe(pg.escapeLiteral(s));
  });
});
