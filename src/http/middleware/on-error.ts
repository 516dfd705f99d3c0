// The one place errors become responses: RFC 9457 problem+json with a code from the closed enum.
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { AppError, type ErrorCode } from "../../lib/errors";
import { ConfigError } from "../../platform/env";
import type { AppEnv } from "../context";
import { problemBody, problemResponse } from "../problem";

const byStatus: Record<number, ErrorCode> = {
  400: "BAD_REQUEST",
  401: "UNAUTHORIZED",
  403: "FORBIDDEN",
  404: "NOT_FOUND",
  405: "METHOD_NOT_ALLOWED",
  409: "CONFLICT",
  413: "PAYLOAD_TOO_LARGE",
  415: "UNSUPPORTED_MEDIA_TYPE",
  422: "UNPROCESSABLE",
  429: "RATE_LIMITED",
  503: "DEPENDENCY_UNAVAILABLE",
};

export function onError(thrown: Error, c: Context<AppEnv>): Response {
  // Drivers wrap what their fetch threw (drizzle → Neon's error → ours): answer with ours.
  const err = wrappedAppError(thrown) ?? thrown;
  const requestId = c.get("requestId") ?? "unknown";
  const logger = c.get("logger");
  const instance = new URL(c.req.url).pathname;
  if (err instanceof AppError) {
    const { headers, ...extra } = err.extra;
    if (err.status >= 500) {
      const cause = err.cause instanceof Error ? err.cause.message : err.cause === undefined ? undefined : String(err.cause);
      logger?.error("request failed", { code: err.code, error: err.message, ...(cause === undefined ? {} : { cause }) });
    }
    return problemResponse(problemBody(err.code, err.message, requestId, { instance, ...extra }), headers);
  }
  if (err instanceof ConfigError) {
    logger?.error("invalid configuration", { problems: err.problems });
    const names = err.problems.map((p) => `${p.variable} ${p.message}`).join("; ");
    const detail = c.env?.ENVIRONMENT === "production" ? "The service is misconfigured; see the logs." : `Invalid configuration: ${names}`;
    return problemResponse(problemBody("CONFIG_INVALID", detail, requestId, { instance }));
  }
  if (err instanceof HTTPException) {
    // Hono's own (e.g. malformed JSON body from the validator).
    const code = byStatus[err.status] ?? (err.status >= 500 ? "INTERNAL" : "BAD_REQUEST");
    return problemResponse(problemBody(code, err.message || "Bad request", requestId, { instance }));
  }
  if (isDataException(err)) {
    // Postgres refused a value the schemas let through (a NUL character, a number out of range):
    // bad input, and the statement wrote nothing.
    logger?.warn("value refused by Postgres", { error: err.message });
    return problemResponse(problemBody("BAD_REQUEST", "A value in the request cannot be stored.", requestId, { instance }));
  }
  logger?.error("unhandled error", { error: err.message, stack: err.stack });
  return problemResponse(problemBody("INTERNAL", "An unexpected error occurred.", requestId, { instance }));
}

/** The error and what it wraps (`cause`, or the Neon driver's `sourceError`), outermost first. */
function* chain(err: Error): Generator<Error> {
  let e: unknown = err;
  for (let depth = 0; e instanceof Error && depth < 5; depth++) {
    yield e;
    e = e.cause ?? (e as { sourceError?: unknown }).sourceError;
  }
}

function wrappedAppError(err: Error): AppError | undefined {
  for (const e of chain(err)) if (e instanceof AppError) return e;
  return undefined;
}

/** SQLSTATE class 22 (data exception), on the driver's error or the one drizzle wraps. */
function isDataException(err: Error): boolean {
  for (const e of chain(err)) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && code.startsWith("22") && code.length === 5) return true;
  }
  return false;
}
