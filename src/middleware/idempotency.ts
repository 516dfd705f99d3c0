// Idempotency-Key on admin mutations. The first request with a key runs and its response is
// kept for 24 h; the same key with the same request replays it; with a different request, 422;
// while the first is still running, later ones wait for it (up to IDEMPOTENCY_WAIT_MS) and then
// replay, or answer 409. Keys are per actor. A 5xx is not kept, so the request can be retried.
import { createMiddleware } from "hono/factory";
import { sha256Hex } from "../lib/crypto/encoding";
import { AppError } from "../lib/errors";
import type { AppEnv } from "../types";

export const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;
/** A running marker outlives no crash for long: after this the key can be used again. */
export const IN_FLIGHT_TTL_SECONDS = 60;
const KEPT_HEADERS = ["content-type", "location", "etag", "cache-control"];
const KEY_FORMAT = /^[\x21-\x7e]{1,255}$/;

type Snapshot =
  | { state: "running"; fingerprint: string }
  | { state: "done"; fingerprint: string; status: number; headers: Record<string, string>; body: string };

export const idempotency = createMiddleware<AppEnv>(async (c, next) => {
  const key = c.req.header("idempotency-key");
  if (key === undefined || !["POST", "PATCH", "PUT", "DELETE"].includes(c.req.method)) return next();
  if (!KEY_FORMAT.test(key)) {
    throw new AppError("VALIDATION_FAILED", "Idempotency-Key must be 1–255 visible ASCII characters.", {
      errors: [{ path: "header.idempotency-key", message: "must be 1–255 visible ASCII characters" }],
    });
  }
  const { redis, actor } = c.var;
  const slot = `idem:${actor?.id ?? "anonymous"}:${await sha256Hex(key)}`;
  const fingerprint = await sha256Hex(`${c.req.method} ${c.req.path}\n${await c.req.text()}`);

  const replay = (s: Extract<Snapshot, { state: "done" }>) =>
    new Response(s.body, { status: s.status, headers: { ...s.headers, "idempotent-replayed": "true" } });
  const deadline = Date.now() + c.var.config.IDEMPOTENCY_WAIT_MS;

  for (let wait = 0; ; wait++) {
    const claimed = await redis.set(slot, { state: "running", fingerprint } satisfies Snapshot, { nx: true, ex: IN_FLIGHT_TTL_SECONDS });
    if (claimed === "OK") break;
    const seen = await redis.get<Snapshot>(slot);
    if (!seen) continue; // the earlier attempt failed and let go: claim it again
    if (seen.fingerprint !== fingerprint) {
      throw new AppError("IDEMPOTENCY_KEY_REUSED", "This Idempotency-Key was already used with a different request.");
    }
    if (seen.state === "done") {
      c.res = replay(seen);
      return;
    }
    if (Date.now() >= deadline)
      throw new AppError("IDEMPOTENCY_IN_PROGRESS", "A request with this Idempotency-Key is still running; retry shortly.");
    // Backing off (50 ms doubling to 800 ms, jittered): a crowd of waiters on one key would
    // otherwise poll Redis twenty times a second each.
    await new Promise((r) => setTimeout(r, Math.min(800, 50 * 2 ** wait) * (0.5 + Math.random() / 2)));
  }

  try {
    await next();
  } catch (e) {
    await redis.del(slot);
    throw e;
  }
  const res = c.res;
  if (res.status >= 500) {
    await redis.del(slot);
    return;
  }
  const body = await res.clone().text();
  const headers: Record<string, string> = {};
  for (const h of KEPT_HEADERS) {
    const v = res.headers.get(h);
    if (v !== null) headers[h] = v;
  }
  await redis.set(slot, { state: "done", fingerprint, status: res.status, headers, body } satisfies Snapshot, {
    ex: IDEMPOTENCY_TTL_SECONDS,
  });
});
