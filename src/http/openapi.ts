// Shared OpenAPI fragments: error responses and the admin security requirement.
import * as z from "zod";
import { PROBLEM_CONTENT_TYPE, problemSchema } from "./problem";

/** A response that says where the created resource is (201) or where to poll (202). */
export const withLocation = <T extends object>(response: T) => ({
  ...response,
  headers: z.object({ Location: z.string().describe("URL of the created resource, or where to poll") }),
});

export const problemResponse = (description: string) => ({
  description,
  content: { [PROBLEM_CONTENT_TYPE]: { schema: problemSchema } },
});

/** Either a session token from /admin/auth/mfa or, when enabled, X-Admin-Key. */
export const ADMIN_SECURITY: Record<string, string[]>[] = [{ adminSession: [] }, { adminKey: [] }];
/** Routes the automation key may not use (admin accounts): a signed-in session only. */
export const SESSION_SECURITY: Record<string, string[]>[] = [{ adminSession: [] }];

export const adminErrorResponses = {
  401: problemResponse("No, invalid, expired or revoked credentials"),
  403: problemResponse("The admin account is disabled"),
  429: problemResponse("Rate limited; see Retry-After"),
};

export const mutationErrorResponses = {
  ...adminErrorResponses,
  409: problemResponse("A request with the same Idempotency-Key is still running, or a conflicting change"),
  422: problemResponse("The Idempotency-Key was used with a different request"),
};

type Responses = Record<string, unknown>;
interface DocOperation {
  parameters?: { in: string }[];
  requestBody?: unknown;
  responses: Responses;
  security?: Record<string, string[]>[];
}
interface Doc {
  paths?: Record<string, Record<string, DocOperation>>;
}

/** Which of the app-wide middleware answer for a path (app.ts owns these rules). */
export interface PathPolicy {
  /** Needs Postgres/Redis/S3: 503 when one is down. */
  dependencies: boolean;
  /** Per-IP or per-actor limits: 429. */
  rateLimited: boolean;
  /** X-API-Key when PUBLIC_API_KEY is set: 401. */
  publicApiKey: boolean;
  /** Admin writes go through Idempotency-Key handling: 409 (in flight) and 422 (reused). */
  idempotent: boolean;
  /** Public catalog reads: ETag, If-None-Match → 304, the edge cache. */
  cached: boolean;
}

/**
 * Adds the errors every operation can answer because of what it takes (parameters, a body) and
 * which middleware guard it, so the document lists every status a client can see.
 */
export function addStandardResponses<T extends object>(doc: T, policyOf: (path: string, method: string) => PathPolicy): T {
  // The generator's types (openapi3-ts) are not ours to import; the shape used here is small.
  for (const [path, ops] of Object.entries((doc as Doc).paths ?? {})) {
    for (const [method, op] of Object.entries(ops)) {
      const add = (status: number, description: string) => {
        op.responses[status] ??= problemResponseRef(description);
      };
      const policy = policyOf(path, method.toUpperCase());
      // Operations without credentials of their own: none, or X-API-Key when PUBLIC_API_KEY is set.
      op.security ??= policy.publicApiKey ? [{}, { publicApiKey: [] }] : [];
      if ((op.parameters?.length ?? 0) > 0 || op.requestBody) add(400, "Invalid input: the problem's errors name each bad field");
      if (op.parameters?.some((p) => p.in === "path")) add(404, "Not found");
      if (op.requestBody) {
        add(413, "The body is larger than the limit");
        add(415, "The body is not application/json");
      }
      if (policy.publicApiKey) add(401, "X-API-Key missing or wrong (when the service requires one)");
      if (policy.rateLimited) add(429, "Rate limited; see Retry-After");
      if (policy.idempotent) {
        add(409, "A request with the same Idempotency-Key is still running");
        add(422, "The Idempotency-Key was used with a different request");
      }
      if (policy.dependencies) {
        add(503, "A dependency (Postgres, Redis or S3) is unavailable or the request was shed; nothing changed, retry after Retry-After");
        header(op.responses[503], "Retry-After", RETRY_AFTER_HEADER);
      }
      if (policy.cached && method === "get") {
        op.responses[304] ??= { description: "Not modified: the If-None-Match ETag is current" };
        for (const [status, r] of Object.entries(op.responses)) if (status === "200" || status === "304") header(r, "ETag", ETAG_HEADER);
      }
      for (const [status, r] of Object.entries(op.responses)) {
        header(r, "X-Request-Id", REQUEST_ID_HEADER);
        header(r, "Access-Control-Allow-Origin", path.startsWith("/api/v1/admin/") ? ADMIN_CORS_HEADER : PUBLIC_CORS_HEADER);
        if (policy.rateLimited && (status.startsWith("2") || status === "429")) for (const [n, h] of RATE_LIMIT_HEADERS) header(r, n, h);
        if (status === "429") header(r, "Retry-After", RETRY_AFTER_HEADER);
      }
    }
  }
  return doc;
}

const RETRY_AFTER_HEADER = {
  description: "Seconds to wait before sending the same request again",
  schema: { type: "integer", minimum: 1 },
};
const REQUEST_ID_HEADER = {
  description: "The request's id (yours from X-Request-Id when sane, else a new one); every log line carries it",
  schema: { type: "string" },
};
const PUBLIC_CORS_HEADER = {
  description:
    "The request's Origin, when it is one of CORS_ALLOWED_ORIGINS (loopback origins outside production when unset); absent otherwise, and the browser then refuses the answer",
  schema: { type: "string" },
};
const ADMIN_CORS_HEADER = {
  description: "The request's Origin, when it is one of CORS_ADMIN_ORIGINS (none when unset)",
  schema: { type: "string" },
};
const ETAG_HEADER = { description: "Strong validator of the representation; send it back as If-None-Match", schema: { type: "string" } };
const RATE_LIMIT_HEADERS: [string, { description: string; schema: { type: string } }][] = [
  ["RateLimit-Limit", { description: "Requests allowed in the window", schema: { type: "integer" } }],
  ["RateLimit-Remaining", { description: "Requests left in the window", schema: { type: "integer" } }],
  ["RateLimit-Reset", { description: "Seconds until the window frees up", schema: { type: "integer" } }],
];
/** Documents a response header once (a route may have documented it already). */
function header(response: unknown, name: string, spec: unknown): void {
  const r = response as { headers?: Record<string, unknown>; $ref?: string };
  if (r.$ref) return;
  r.headers ??= {};
  r.headers[name] ??= spec;
}

const problemResponseRef = (description: string) => ({
  description,
  content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: "#/components/schemas/Problem" } } },
});
