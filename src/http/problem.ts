// RFC 9457 problem details. Every error response of the service has this shape.
import * as z from "zod";
import { ERROR_CODES, type ErrorCode, errorCodeList, type FieldError, retryAfterSeconds } from "../lib/errors";

export const PROBLEM_CONTENT_TYPE = "application/problem+json";
const TYPE_BASE = "https://moviesnow.example/problems/";

export const problemSchema = z
  .object({
    type: z.string().describe("URI identifying the problem type"),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.enum(errorCodeList),
    request_id: z.string(),
    instance: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .passthrough()
  .meta({
    id: "Problem",
    examples: [
      {
        type: "https://moviesnow.example/problems/validation-failed",
        title: "Request validation failed",
        status: 400,
        detail: "json.ttl_seconds: Too small: expected number to be >=60",
        code: "VALIDATION_FAILED",
        request_id: "5f7c1a2e-8b3d-4e6f-9a0b-1c2d3e4f5a6b",
        instance: "/api/v1/admin/delivery/download-tokens/batch",
        errors: [{ path: "json.ttl_seconds", message: "Too small: expected number to be >=60" }],
      },
    ],
  });

export type Problem = z.infer<typeof problemSchema>;

export function problemBody(
  code: ErrorCode,
  detail: string,
  requestId: string,
  extra: { errors?: FieldError[]; instance?: string; [k: string]: unknown } = {},
): Problem {
  const { status, title } = ERROR_CODES[code];
  return {
    type: `${TYPE_BASE}${code.toLowerCase().replaceAll("_", "-")}`,
    title,
    status,
    detail,
    code,
    request_id: requestId,
    ...extra,
  };
}

export function problemResponse(body: Problem, headers: Record<string, string> = {}): Response {
  const retryAfter = retryAfterSeconds(body.code);
  return new Response(JSON.stringify(body), {
    status: body.status,
    headers: {
      "content-type": PROBLEM_CONTENT_TYPE,
      "cache-control": "no-store",
      ...(retryAfter === undefined ? {} : { "retry-after": String(retryAfter) }),
      ...headers,
    },
  });
}

/** zod issues → field errors, prefixed with where the input came from. */
export function fieldErrors(target: string, issues: readonly z.core.$ZodIssue[]): FieldError[] {
  return issues.map((i) => ({
    path: [target, ...i.path.map(String)].join("."),
    message: i.message,
  }));
}
