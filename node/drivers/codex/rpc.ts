/**
 * A JSON-RPC 2.0 peer over newline-delimited JSON, the way `codex app-server` speaks it on stdio
 * (codex-rs/app-server/README.md, "Protocol"): one message per line, the `"jsonrpc": "2.0"` member
 * omitted on the wire. Both sides send requests: ours (initialize, thread/start, turn/start, …)
 * get responses matched by id; the server's (approval requests) are answered through `onRequest`.
 * Lines come in through `receive` and go out through `write`, so the peer knows nothing of processes.
 */
import { isObject, type Json } from '../json-lines.js';

export type RpcId = string | number;

/** The JSON-RPC 2.0 error codes this peer sends or expects. */
export const RpcErrorCode = { ParseError: -32700, InvalidRequest: -32600, MethodNotFound: -32601, InvalidParams: -32602, InternalError: -32603 } as const;

/** The other side answered one of our requests with an error. */
export class RpcError extends Error {
  constructor(
    readonly method: string,
    readonly code: number,
    readonly detail: string,
    readonly data?: unknown,
  ) {
    super(`${method} failed: ${detail} (JSON-RPC error ${code})`);
  }
}

/** Thrown by an `onRequest` handler to answer with a specific error code. */
export class RpcHandlerError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export interface JsonRpcPeerOptions {
  /** Sends one line (without its newline); false when the other side is gone. */
  write(line: string): boolean;
  onNotification(method: string, params: Json): void;
  /** Answers a request from the other side; a thrown error becomes an error response. */
  onRequest(method: string, params: Json, id: RpcId): Promise<unknown>;
  /** A line that is not a message we can act on; never fatal. */
  onMalformed?(line: string, why: string): void;
}

interface Pending {
  method: string;
  resolve(result: unknown): void;
  reject(err: Error): void;
}

/** One connection's JSON-RPC state: the ids of our requests in flight, and how to answer theirs. */
export class JsonRpcPeer {
  private nextId = 0;
  private readonly pending = new Map<RpcId, Pending>();
  private closed?: Error;

  constructor(private readonly opts: JsonRpcPeerOptions) {}

  /** Sends a request; resolves with its result, rejects with RpcError or the reason the peer closed. */
  request<T = Json>(method: string, params: Json): Promise<T> {
    if (this.closed) return Promise.reject(this.closed);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { method, resolve: (r) => resolve(r as T), reject });
      if (!this.send({ id, method, params })) {
        this.pending.delete(id);
        reject(new Error(`${method}: the connection is closed`));
      }
    });
  }

  /** Sends a notification (no id, no answer). */
  notify(method: string, params?: Json): void {
    this.send(params === undefined ? { method } : { method, params });
  }

  /** Handles one incoming line: a response to us, a notification, or a request to answer. */
  receive(line: string): void {
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      return this.opts.onMalformed?.(line, 'not JSON');
    }
    if (!isObject(message)) return this.opts.onMalformed?.(line, 'not a JSON object');
    const { id, method } = message;
    const hasId = typeof id === 'string' || typeof id === 'number';
    if (typeof method === 'string') {
      const params = isObject(message.params) ? message.params : {};
      if (!hasId) return this.opts.onNotification(method, params);
      return this.answer(id, method, params, message.params === undefined || isObject(message.params));
    }
    if (hasId && ('result' in message || 'error' in message)) return this.settle(id, message);
    this.opts.onMalformed?.(line, 'neither a request, a notification nor a response');
  }

  /** Fails every request in flight (and later ones) with `reason`: the other side is gone. */
  close(reason: Error): void {
    if (this.closed) return;
    this.closed = reason;
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.reject(reason);
    }
  }

  private settle(id: RpcId, message: Json): void {
    const p = this.pending.get(id);
    if (!p) return this.opts.onMalformed?.(JSON.stringify(message), `a response to unknown request id ${String(id)}`);
    this.pending.delete(id);
    if (isObject(message.error)) {
      const { code, message: text, data } = message.error;
      p.reject(new RpcError(p.method, typeof code === 'number' ? code : RpcErrorCode.InternalError, typeof text === 'string' ? text : 'unknown error', data));
    } else {
      p.resolve(message.result);
    }
  }

  private answer(id: RpcId, method: string, params: Json, paramsValid: boolean): void {
    if (!paramsValid) {
      this.send({ id, error: { code: RpcErrorCode.InvalidParams, message: `${method}: params must be an object` } });
      return;
    }
    void Promise.resolve()
      .then(() => this.opts.onRequest(method, params, id))
      .then(
        (result) => this.send({ id, result: result ?? {} }),
        (err: unknown) => {
          const code = err instanceof RpcHandlerError ? err.code : RpcErrorCode.InternalError;
          this.send({ id, error: { code, message: err instanceof Error ? err.message : String(err) } });
        },
      );
  }

  private send(message: Json): boolean {
    if (this.closed) return false;
    return this.opts.write(JSON.stringify(message));
  }
}
