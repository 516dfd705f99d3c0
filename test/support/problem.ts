// Assertions shared by every test that expects an RFC 9457 error.
import { expect } from "vitest";

export interface ProblemJson {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  request_id: string;
  errors?: { path: string; message: string }[];
  [k: string]: unknown;
}

export async function expectProblem(res: Response, status: number, code: string): Promise<ProblemJson> {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toContain("application/problem+json");
  const body = (await res.json()) as ProblemJson;
  expect(body).toMatchObject({ status, code });
  expect(typeof body.type).toBe("string");
  expect(typeof body.title).toBe("string");
  expect(typeof body.detail).toBe("string");
  expect(body.request_id).toBe(res.headers.get("x-request-id"));
  // Transient answers say when the same request may be sent again.
  if (status === 503 || code === "IDEMPOTENCY_IN_PROGRESS") expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
  return body;
}

/** expectProblem for an answer of the typed client, which has already read the body into `error`. */
export async function expectProblemAnswer(
  answer: Promise<{ error?: unknown; response: Response }>,
  status: number,
  code: string,
): Promise<ProblemJson> {
  const { error, response } = await answer;
  return expectProblem(new Response(JSON.stringify(error), { status: response.status, headers: response.headers }), status, code);
}
