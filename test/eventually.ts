/**
 * Polls `check` until it returns a value, then returns that value. "Not yet" is explicit: `check`
 * throws (a failed `expect`), or returns `false`, `undefined` or `null`. Every other value is the
 * answer, falsy ones included — `0` and `''` are values, not "not yet": a check that reads a file
 * must itself wait for the content it needs (a pid file created but not yet written reads `''`).
 * Tests wait with this, never with sleeps: the wait ends as soon as the condition holds.
 */
export async function eventually<T>(check: () => T | Promise<T>, opts: { timeoutMs?: number; intervalMs?: number } = {}): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  const interval = opts.intervalMs ?? 20;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== false && value !== undefined && value !== null) return value;
      lastError = new Error(`condition returned ${String(value)}`);
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) throw lastError;
    await new Promise((r) => setTimeout(r, interval));
  }
}
