/** SQL text for the transaction's dialect: `?` placeholders become `$1..$n` on Postgres. */
import type { ExtraWrites } from './store.js';

export function forDialect(tx: Pick<ExtraWrites, 'dialect'>, text: string): string {
  if (tx.dialect === 'sqlite') return text;
  let n = 0;
  return text.replace(/\?/g, () => `$${++n}`);
}
