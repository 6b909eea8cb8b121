/**
 * Health endpoints the way kube-apiserver serves them: named checks registered by the composition
 * root, `/livez` (the process serves: restart it when this fails, so it never depends on the
 * database), `/readyz` (it can do its job: route traffic to it only when this passes) and the
 * older `/healthz` (answered like `/livez`: the CLI asks it whether a daemon is up at all).
 * `?verbose` lists every check (`[+]ping ok`, `[-]store failed: reason withheld`), `?exclude=name`
 * skips one, `/readyz/<name>` runs one. A failing answer is 503. Probes are anonymous, so a
 * failure's reason is withheld from the answer and logged once when a check starts failing.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** A check: resolves when healthy, throws (or rejects) with the reason when not. */
export type HealthCheck = (signal: AbortSignal) => void | Promise<void>;

/** Which endpoints a check belongs to. */
export interface HealthCheckOptions {
  /** Part of /readyz (default true). */
  readiness?: boolean;
  /** Part of /livez and /healthz (default false: liveness must not depend on what can be down elsewhere). */
  liveness?: boolean;
  /** How long the check may take before it counts as failed (default: the set's, 2 s). */
  timeoutMs?: number;
}

/** The three endpoints. */
export type HealthEndpoint = 'livez' | 'readyz' | 'healthz';

/** Which endpoint (and single check) a path asks for; undefined for any other path. */
export function healthPath(pathname: string): { endpoint: HealthEndpoint; check?: string } | undefined {
  const m = /^\/(livez|readyz|healthz)(?:\/([^/]+))?\/?$/.exec(pathname);
  if (!m) return undefined;
  return { endpoint: m[1] as HealthEndpoint, ...(m[2] !== undefined ? { check: safeDecode(m[2]) } : {}) };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

interface Registered {
  name: string;
  fn: HealthCheck;
  readiness: boolean;
  liveness: boolean;
  timeoutMs: number;
}

/** One check's outcome. */
interface Outcome {
  name: string;
  ok: boolean;
  excluded?: boolean;
  reason?: string;
}

/** The check that fails once the server is shutting down (readiness only). */
const SHUTDOWN = 'shutdown';

/** The named checks of one server, and the handler of its health endpoints. */
export class HealthChecks {
  private readonly checks: Registered[] = [];
  private readonly defaultTimeoutMs: number;
  private readonly log: (line: string) => void;
  private draining = false;
  /** Checks currently failing, so a failure is logged when it starts, not at every probe. */
  private readonly failing = new Set<string>();
  /** Listed last in /readyz, as kube-apiserver does. */
  private readonly shutdownCheck: Registered;

  constructor(opts: { timeoutMs?: number; log?: (line: string) => void } = {}) {
    this.defaultTimeoutMs = opts.timeoutMs ?? 2000;
    this.log = opts.log ?? (() => {});
    // Answering at all is what `ping` proves: the event loop serves requests.
    this.add('ping', () => {}, { liveness: true, readiness: true });
    this.shutdownCheck = {
      name: SHUTDOWN,
      fn: () => {
        if (this.draining) throw new Error('the server is shutting down');
      },
      readiness: true,
      liveness: false,
      timeoutMs: this.defaultTimeoutMs,
    };
  }

  /** Registers a named check; a name may be registered once. */
  add(name: string, fn: HealthCheck, opts: HealthCheckOptions = {}): this {
    if (!/^[a-z0-9][a-z0-9./-]*$/.test(name)) throw new Error(`health check name ${JSON.stringify(name)}: lower-case letters, digits, '.', '/' and '-' only`);
    if (name === SHUTDOWN || this.checks.some((c) => c.name === name)) throw new Error(`health check ${JSON.stringify(name)} is already registered`);
    this.checks.push({ name, fn, readiness: opts.readiness ?? true, liveness: opts.liveness ?? false, timeoutMs: opts.timeoutMs ?? this.defaultTimeoutMs });
    return this;
  }

  /** Fails /readyz from now on (the `shutdown` check), while everything else keeps serving. */
  shuttingDown(): void {
    this.draining = true;
  }

  /** The names of the checks of an endpoint, in registration order. */
  names(endpoint: HealthEndpoint): string[] {
    return this.of(endpoint).map((c) => c.name);
  }

  /** Answers a health request (any method but GET and HEAD is 405). */
  async serve(req: IncomingMessage, res: ServerResponse, path: { endpoint: HealthEndpoint; check?: string }, query: URLSearchParams): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') return text(res, 405, `method ${req.method ?? ''} is not allowed\n`);
    const checks = this.of(path.endpoint);
    if (path.check !== undefined) {
      const one = checks.find((c) => c.name === path.check);
      if (!one) return text(res, 404, `no ${path.endpoint} check named ${JSON.stringify(path.check)}\n`);
      const outcome = await this.run(one);
      return text(res, outcome.ok ? 200 : 503, outcome.ok ? 'ok' : `${line(outcome)}\n`);
    }
    const excluded = new Set(query.getAll('exclude'));
    const outcomes = await Promise.all(checks.map((c) => (excluded.has(c.name) ? { name: c.name, ok: true, excluded: true } : this.run(c))));
    const unknown = [...excluded].filter((name) => !checks.some((c) => c.name === name));
    const passed = outcomes.every((o) => o.ok);
    const verbose = query.has('verbose') || !passed;
    if (!verbose) return text(res, 200, 'ok');
    const lines = outcomes.map(line);
    if (unknown.length) lines.push(`warn: some health checks cannot be excluded: no matches for ${unknown.map((n) => JSON.stringify(n)).join(',')}`);
    lines.push(`${path.endpoint} check ${passed ? 'passed' : 'failed'}`);
    return text(res, passed ? 200 : 503, `${lines.join('\n')}\n`);
  }

  private of(endpoint: HealthEndpoint): Registered[] {
    if (endpoint === 'readyz') return [...this.checks.filter((c) => c.readiness), this.shutdownCheck];
    return this.checks.filter((c) => c.liveness);
  }

  /** Runs one check under its timeout; logs the reason when it starts failing, and when it recovers. */
  private async run(check: Registered): Promise<Outcome> {
    const ctl = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        ctl.abort();
        reject(new Error(`timed out after ${check.timeoutMs} ms`));
      }, check.timeoutMs);
      timer.unref();
    });
    try {
      await Promise.race([Promise.resolve().then(() => check.fn(ctl.signal)), timeout]);
      if (this.failing.delete(check.name)) this.log(`health: check ${check.name} passes again`);
      return { name: check.name, ok: true };
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      if (!this.failing.has(check.name)) {
        this.failing.add(check.name);
        this.log(`health: check ${check.name} failed: ${reason}`);
      }
      return { name: check.name, ok: false, reason };
    } finally {
      clearTimeout(timer);
    }
  }
}

/** kube-apiserver's line for a check; the reason stays in the log, not in an anonymous answer. */
function line(o: Outcome): string {
  if (o.excluded) return `[+]${o.name} excluded: ok`;
  return o.ok ? `[+]${o.name} ok` : `[-]${o.name} failed: reason withheld`;
}

function text(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
