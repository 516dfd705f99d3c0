// The closed set of error codes a client can see. Each maps to one HTTP status and title; the
// single onError handler turns an AppError into RFC 9457 problem+json. `retryAfter` marks the
// transient ones: nothing was changed, and the same request (same Idempotency-Key) may be sent
// again after that many seconds, so their answers always carry Retry-After.
export const ERROR_CODES = {
  VALIDATION_FAILED: { status: 400, title: "Request validation failed" },
  BAD_REQUEST: { status: 400, title: "Bad request" },
  UNAUTHORIZED: { status: 401, title: "Authentication required" },
  FORBIDDEN: { status: 403, title: "Forbidden" },
  NOT_FOUND: { status: 404, title: "Not found" },
  METHOD_NOT_ALLOWED: { status: 405, title: "Method not allowed" },
  CONFLICT: { status: 409, title: "Conflict" },
  IDEMPOTENCY_IN_PROGRESS: { status: 409, title: "A request with this Idempotency-Key is still running", retryAfter: 1 },
  GONE: { status: 410, title: "Gone" },
  PAYLOAD_TOO_LARGE: { status: 413, title: "Payload too large" },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: "Unsupported media type" },
  IDEMPOTENCY_KEY_REUSED: { status: 422, title: "Idempotency-Key reused with a different request" },
  UNPROCESSABLE: { status: 422, title: "Unprocessable request" },
  RANGE_NOT_SATISFIABLE: { status: 416, title: "Range not satisfiable" },
  RATE_LIMITED: { status: 429, title: "Too many requests" },
  INTERNAL: { status: 500, title: "Internal server error" },
  CONFIG_INVALID: { status: 500, title: "Service misconfigured" },
  DEPENDENCY_UNAVAILABLE: { status: 503, title: "A dependency is unavailable", retryAfter: 2 },
  AT_CAPACITY: { status: 503, title: "At capacity; try again later", retryAfter: 30 },
} as const satisfies Record<string, { status: number; title: string; retryAfter?: number }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Seconds after which a transient error's request may be retried; undefined when it is final. */
export function retryAfterSeconds(code: ErrorCode): number | undefined {
  const def = ERROR_CODES[code];
  return "retryAfter" in def ? def.retryAfter : undefined;
}
export const errorCodeList = Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]];

export interface FieldError {
  /** Dotted location of the offending input, prefixed by where it came from (body, query, …). */
  path: string;
  message: string;
}

export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message?: string,
    readonly extra: { errors?: FieldError[]; headers?: Record<string, string>; [k: string]: unknown } = {},
  ) {
    super(message ?? ERROR_CODES[code].title);
    this.name = "AppError";
    this.status = ERROR_CODES[code].status;
  }
}
