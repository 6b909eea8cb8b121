/**
 * The API server's metrics in the Prometheus text format (`/metrics`), with prom-client, named as
 * kube-apiserver and controller-runtime name theirs so existing dashboards and alerts read them:
 * requests by verb, group, resource and code; their latency; open watches; store latency;
 * reconciles and work queues (the sinks of ../metrics.ts); whether this replica leads; and the
 * process's default metrics. Each server has its own registry, so two servers in one process
 * (tests, a daemon beside a control plane) never share or collide.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ControllerMetrics, QueueMetrics, ReconcileResult, StoreMetrics, StoreOperation } from '../metrics.js';

/** What a request is, in kube-apiserver's labels (verbs as Kubernetes names them: get, list, watch, create, apply…). */
export interface RequestLabels {
  verb: string;
  group: string;
  resource: string;
}

/** kube-apiserver's request latency buckets. */
const REQUEST_BUCKETS = [0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60];
/** controller-runtime's reconcile time buckets (a subset). */
const RECONCILE_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** client-go's work queue buckets: 10 ns to 10 s. */
const QUEUE_BUCKETS = Array.from({ length: 10 }, (_, i) => 1e-8 * 10 ** i);
/** Store operation buckets: sub-millisecond SQLite reads to multi-second busy waits. */
const STORE_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Verbs that change state (kube-apiserver's `mutating` request kind). */
const MUTATING = new Set(['create', 'update', 'patch', 'apply', 'delete', 'deletecollection']);

/**
 * The process's default metrics (CPU, memory, event loop lag, GC, handles), collected once per
 * process: they describe the process, not a server, and each collector started holds observers
 * that are never released — one per server would pile up over a test run.
 */
let processRegistry: Registry | undefined;
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/** One server's metrics: a registry of its own, and the sinks the store and controllers report to. */
export class ServerMetrics implements ControllerMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'verb' | 'group' | 'resource' | 'code'>;
  private readonly durations: Histogram<'verb' | 'group' | 'resource'>;
  private readonly longRunning: Gauge<'verb' | 'group' | 'resource'>;
  private readonly inflight: Gauge<'request_kind'>;
  private readonly storeOps: Histogram<'operation' | 'backend'>;
  private readonly reconciles: Counter<'controller' | 'result'>;
  private readonly reconcileErrors: Counter<'controller'>;
  private readonly reconcileTime: Histogram<'controller'>;
  private readonly workers: Gauge<'controller'>;
  private readonly queueDepth: Gauge<'name'>;
  private readonly queueAdds: Counter<'name'>;
  private readonly queueWait: Histogram<'name'>;
  private readonly queueWork: Histogram<'name'>;
  private readonly queueRetries: Counter<'name'>;
  private readonly leader: Gauge;
  private readonly queues = new Map<string, QueueMetrics>();

  constructor() {
    const registers = [this.registry];
    this.requests = new Counter({ name: 'apiserver_request_total', help: 'Counter of apiserver requests broken out for each verb, API group, resource and HTTP response code.', labelNames: ['verb', 'group', 'resource', 'code'], registers });
    this.durations = new Histogram({ name: 'apiserver_request_duration_seconds', help: 'Response latency distribution in seconds for each verb, group and resource.', labelNames: ['verb', 'group', 'resource'], buckets: REQUEST_BUCKETS, registers });
    this.longRunning = new Gauge({ name: 'apiserver_longrunning_requests', help: 'Gauge of all active long-running apiserver requests (watches) broken out by verb, group and resource.', labelNames: ['verb', 'group', 'resource'], registers });
    this.inflight = new Gauge({ name: 'apiserver_current_inflight_requests', help: 'Maximal number of currently used inflight request limit of this apiserver per request kind.', labelNames: ['request_kind'], registers });
    this.inflight.set({ request_kind: 'readOnly' }, 0);
    this.inflight.set({ request_kind: 'mutating' }, 0);
    this.storeOps = new Histogram({ name: 'sidekick_store_operation_duration_seconds', help: 'Duration of store read snapshots and write transactions, by operation and database backend.', labelNames: ['operation', 'backend'], buckets: STORE_BUCKETS, registers });
    this.reconciles = new Counter({ name: 'controller_runtime_reconcile_total', help: 'Total number of reconciliations per controller.', labelNames: ['controller', 'result'], registers });
    this.reconcileErrors = new Counter({ name: 'controller_runtime_reconcile_errors_total', help: 'Total number of reconciliation errors per controller.', labelNames: ['controller'], registers });
    this.reconcileTime = new Histogram({ name: 'controller_runtime_reconcile_time_seconds', help: 'Length of time per reconciliation per controller.', labelNames: ['controller'], buckets: RECONCILE_BUCKETS, registers });
    this.workers = new Gauge({ name: 'controller_runtime_active_workers', help: 'Number of currently used workers per controller.', labelNames: ['controller'], registers });
    this.queueDepth = new Gauge({ name: 'workqueue_depth', help: 'Current depth of workqueue.', labelNames: ['name'], registers });
    this.queueAdds = new Counter({ name: 'workqueue_adds_total', help: 'Total number of adds handled by workqueue.', labelNames: ['name'], registers });
    this.queueWait = new Histogram({ name: 'workqueue_queue_duration_seconds', help: 'How long in seconds an item stays in workqueue before being requested.', labelNames: ['name'], buckets: QUEUE_BUCKETS, registers });
    this.queueWork = new Histogram({ name: 'workqueue_work_duration_seconds', help: 'How long in seconds processing an item from workqueue takes.', labelNames: ['name'], buckets: QUEUE_BUCKETS, registers });
    this.queueRetries = new Counter({ name: 'workqueue_retries_total', help: 'Total number of retries handled by workqueue.', labelNames: ['name'], registers });
    this.leader = new Gauge({ name: 'sidekick_leader_is_leader', help: 'Whether this replica holds the leader lease (1) or not (0).', registers });
    this.leader.set(0);
  }

  /** Records whether this replica leads (the control plane's leader election drives it). */
  setLeader(isLeader: boolean): void {
    this.leader.set(isLeader ? 1 : 0);
  }

  /** The sink the store reports to (give it to openStore's `metrics`). */
  get store(): StoreMetrics {
    return { observe: (operation: StoreOperation, backend: string, seconds: number) => this.storeOps.observe({ operation, backend }, seconds) };
  }

  /** Counts and times one request from now until its response closes; watches also count as long-running while open. */
  track(labels: RequestLabels, res: ServerResponse): void {
    const start = performance.now();
    const kind = MUTATING.has(labels.verb) ? 'mutating' : 'readOnly';
    const watch = labels.verb === 'watch';
    this.inflight.inc({ request_kind: kind });
    if (watch) this.longRunning.inc(labels);
    res.once('close', () => {
      this.inflight.dec({ request_kind: kind });
      if (watch) this.longRunning.dec(labels);
      this.requests.inc({ ...labels, code: String(res.statusCode) });
      this.durations.observe(labels, (performance.now() - start) / 1000);
    });
  }

  reconciled(controller: string, result: ReconcileResult, seconds: number): void {
    this.reconciles.inc({ controller, result });
    if (result === 'error') this.reconcileErrors.inc({ controller });
    this.reconcileTime.observe({ controller }, seconds);
  }

  activeWorkers(controller: string, delta: number): void {
    this.workers.inc({ controller }, delta);
  }

  queue(name: string): QueueMetrics {
    let q = this.queues.get(name);
    if (!q) {
      // Present from the start (depth 0, no adds), as client-go's queues are.
      this.queueDepth.set({ name }, 0);
      this.queueAdds.inc({ name }, 0);
      q = {
        added: () => this.queueAdds.inc({ name }),
        depth: (n) => this.queueDepth.set({ name }, n),
        queued: (s) => this.queueWait.observe({ name }, s),
        worked: (s) => this.queueWork.observe({ name }, s),
        retried: () => this.queueRetries.inc({ name }),
      };
      this.queues.set(name, q);
    }
    return q;
  }

  /** The exposition: this server's metrics, then the process's. */
  async text(): Promise<string> {
    const [own, process] = await Promise.all([this.registry.metrics(), processMetrics().metrics()]);
    return `${own.trimEnd()}\n${process}`;
  }

  /** Answers GET /metrics. */
  async serve(_req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await this.text();
    res.writeHead(200, { 'content-type': this.registry.contentType, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }
}
