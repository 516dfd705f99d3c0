// A tiny JSON client for admin routes in tests.
import { expect } from "vitest";
import { api, bearer, freshIp } from "./admin";

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
