// Clients for admin routes in tests: the typed API client (the same one the CLI uses, generated
// from the OpenAPI document), and a tiny untyped one for requests a test makes wrong on purpose.
import { SELF } from "cloudflare:test";
import { expect } from "vitest";
import { type ApiClient, createApiClient } from "../../scripts/client/index";
import { api, bearer, freshIp } from "./admin";

/** The typed client, signed in with `token`, from a client address of its own, against the Worker under test. */
export function typedAdminClient(token: string): ApiClient {
  return createApiClient("http://api.test", {
    headers: { ...bearer(token), "cf-connecting-ip": freshIp() },
    fetch: (req: Request) => SELF.fetch(req),
  });
}

/** The body of a typed call that must answer `status`. */
export async function expectStatus<R extends { data?: unknown; error?: unknown; response: Response }>(
  status: number,
  call: Promise<R>,
): Promise<Exclude<R["data"], undefined>> {
  const r = await call;
  expect(r.response.status, JSON.stringify(r.error ?? r.data)).toBe(status);
  return r.data as Exclude<R["data"], undefined>;
}

export interface Reply<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
}

export function adminClient(token: string) {
  const ip = freshIp();
  const raw = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> =>
    api(path, {
      method,
      headers: {
        ...bearer(token),
        "cf-connecting-ip": ip,
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  const call = async <T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply<T>> => {
    const res = await raw(method, path, body, headers);
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as T, headers: res.headers };
  };
  const ok = async <T>(expected: number, p: Promise<Reply<T>>): Promise<T> => {
    const r = await p;
    expect(r.status, JSON.stringify(r.body)).toBe(expected);
    return r.body;
  };
  return {
    get: <T = Record<string, unknown>>(path: string) => call<T>("GET", path),
    post: <T = Record<string, unknown>>(path: string, body?: unknown, headers?: Record<string, string>) =>
      call<T>("POST", path, body, headers),
    patch: <T = Record<string, unknown>>(path: string, body: unknown) => call<T>("PATCH", path, body),
    del: <T = Record<string, unknown>>(path: string) => call<T>("DELETE", path),
    /** The Response itself, e.g. for expectProblem. */
    raw,
    ok,
  };
}

export const uniqueWord = () =>
  Array.from(crypto.getRandomValues(new Uint8Array(6)), (b) => "bcdfghjklmnpqrstvwxz"[b % 20])
    .join("")
    .replace(/^./, (c) => c.toUpperCase());

export async function sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  return [...new Uint8Array(await crypto.subtle.digest("SHA-256", bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export { pseudoBytes } from "./bytes";
