/**
 * The metric sinks instrumented layers report to. They sit here, below both the controllers and
 * the API server, so the controller runtime and the store can report without importing the server
 * that exposes them (api/server/metrics.ts implements them with prom-client). Every sink is
 * optional where it is taken: nothing is measured, and nothing changes, without one.
 */

/** How one reconcile pass ended, as controller-runtime labels it. */
export const ReconcileResult = {
  Success: 'success',
  Error: 'error',
  Requeue: 'requeue',
  RequeueAfter: 'requeue_after',
} as const;
export type ReconcileResult = (typeof ReconcileResult)[keyof typeof ReconcileResult];

/** One work queue's measurements (client-go's workqueue metrics). */
export interface QueueMetrics {
  /** A key was added (not counted when it was already waiting). */
  added(): void;
  /** The number of keys waiting now. */
  depth(n: number): void;
  /** A key waited `seconds` between being added and being handed to a worker. */
  queued(seconds: number): void;
  /** A worker held a key for `seconds`. */
  worked(seconds: number): void;
  /** A key was re-added after a failure (rate limited). */
  retried(): void;
}

/** What controllers report (controller-runtime's metrics). */
export interface ControllerMetrics {
  /** One reconcile pass of `controller` ended with `result` after `seconds`. */
  reconciled(controller: string, result: ReconcileResult, seconds: number): void;
  /** Workers of `controller` busy reconciling changed by `delta`. */
  activeWorkers(controller: string, delta: number): void;
  /** The measurements of the work queue named `name` (a controller's queue carries its name). */
  queue(name: string): QueueMetrics;
}

/** A store backend operation: a read snapshot or a write transaction. */
export type StoreOperation = 'read' | 'transaction';

/** What the store reports: how long each backend operation took. */
export interface StoreMetrics {
  observe(operation: StoreOperation, backend: string, seconds: number): void;
}
