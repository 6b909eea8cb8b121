/**
 * API failures as Kubernetes `Status` objects. Callers test `reason`, never `instanceof`.
 */

export const StatusReason = {
  BadRequest: 'BadRequest',
  Unauthorized: 'Unauthorized',
  Forbidden: 'Forbidden',
  NotFound: 'NotFound',
  AlreadyExists: 'AlreadyExists',
  Conflict: 'Conflict',
  Gone: 'Gone',
  Expired: 'Expired',
  Invalid: 'Invalid',
  MethodNotAllowed: 'MethodNotAllowed',
  NotAcceptable: 'NotAcceptable',
  RequestEntityTooLarge: 'RequestEntityTooLarge',
  UnsupportedMediaType: 'UnsupportedMediaType',
  TooManyRequests: 'TooManyRequests',
  InternalError: 'InternalError',
  ServiceUnavailable: 'ServiceUnavailable',
  /** The store's disk is full (HTTP 507, as WebDAV names it; kube-apiserver has no such reason). */
  InsufficientStorage: 'InsufficientStorage',
} as const;
export type StatusReason = (typeof StatusReason)[keyof typeof StatusReason];

const codeFor: Record<StatusReason, number> = {
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  AlreadyExists: 409,
  Conflict: 409,
  Gone: 410,
  Expired: 410,
  Invalid: 422,
  MethodNotAllowed: 405,
  NotAcceptable: 406,
  RequestEntityTooLarge: 413,
  UnsupportedMediaType: 415,
  TooManyRequests: 429,
  InternalError: 500,
  ServiceUnavailable: 503,
  InsufficientStorage: 507,
};

export interface StatusCause {
  /** Dotted field path, e.g. `spec.agent`. */
  field?: string;
  message: string;
  reason?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

/** The Kubernetes `Status` wire object. */
export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message: string;
  reason: StatusReason;
  details?: StatusDetails;
  code: number;
}

/** An API failure carrying its Kubernetes Status. */
export class ApiError extends Error {
  readonly reason: StatusReason;
  readonly code: number;
  readonly details?: StatusDetails;

  constructor(reason: StatusReason, message: string, details?: StatusDetails, code?: number) {
    super(message);
    this.name = 'ApiError';
    this.reason = reason;
    this.code = code ?? codeFor[reason];
    this.details = details;
  }

  toStatus(): Status {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }

  /** Rebuilds an ApiError from a Status body received over HTTP. */
  static fromStatus(status: Partial<Status>, httpCode: number): ApiError {
    const reason = (status.reason as StatusReason) ?? reasonForCode(httpCode);
    return new ApiError(reason, status.message ?? `HTTP ${httpCode}`, status.details, status.code ?? httpCode);
  }
}

function reasonForCode(code: number): StatusReason {
  const found = (Object.entries(codeFor) as [StatusReason, number][]).find(([, c]) => c === code);
  return found ? found[0] : StatusReason.InternalError;
}

/** True when `err` is an ApiError (or a lookalike from another module instance) with that reason. */
export function isReason(err: unknown, reason: StatusReason): boolean {
  return typeof err === 'object' && err !== null && (err as { reason?: unknown }).reason === reason;
}

/** `runs.sidekicks.dev "x" not found` — kubectl's wording. */
export function notFound(plural: string, group: string, name: string): ApiError {
  return new ApiError(StatusReason.NotFound, `${plural}.${group} "${name}" not found`, { name, group, kind: plural });
}

export function alreadyExists(plural: string, group: string, name: string): ApiError {
  return new ApiError(StatusReason.AlreadyExists, `${plural}.${group} "${name}" already exists`, { name, group, kind: plural });
}

export function conflict(plural: string, group: string, name: string, why: string): ApiError {
  return new ApiError(
    StatusReason.Conflict,
    `Operation cannot be fulfilled on ${plural}.${group} "${name}": ${why}`,
    { name, group, kind: plural },
  );
}

/** 422 Invalid with every violated field, in kubectl's format. */
export function invalid(kind: string, name: string, causes: StatusCause[], group = 'sidekicks.dev'): ApiError {
  const list = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message)).join(', ');
  return new ApiError(StatusReason.Invalid, `${kind} "${name}" is invalid: ${list}`, {
    name,
    kind,
    group,
    causes: causes.map((c) => ({ reason: c.reason ?? 'FieldValueInvalid', ...c })),
  });
}
