import type { ApiError } from '../api/errors.js';

/** Awaits a promise that must reject and returns its error (fails the test when it resolves). */
export async function rejection(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    return err as ApiError;
  }
  throw new Error('expected a rejection');
}
