// Idempotency-Key on admin mutations. The first request with a key runs and its response is
// kept for 24 h; the same key with the same request (method, path, query, body) replays it; with
// a different request, 422; while the first is still running, later ones wait for it (up to
// IDEMPOTENCY_WAIT_MS) and then replay, or answer 409. Keys are per actor. A 5xx is not kept, so
// the request can be retried.
import { createMiddleware } from "hono/factory";
import { sha256Hex } from "../../lib/crypto/encoding";
import { open, seal } from "../../lib/crypto/secret-box";
import { AppError } from "../../lib/errors";
import type { RedisClient } from "../../platform/redis";
import type { AppEnv } from "../context";

export const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;
const KEPT_HEADERS = ["content-type", "location", "etag", "cache-control"];
const KEY_FORMAT = /^[\x21-\x7e]{1,255}$/;

/**
 * A kept response is sealed (AES-256-GCM under TOTP_ENCRYPTION_KEY, bound to its slot): some hold
 * secrets that exist nowhere else in readable form, a new admin's TOTP seed or minted download tokens.
 */
type Kept = { status: number; headers: Record<string, string>; body: string };
type Snapshot = { state: "running"; fingerprint: string; claim: string } | { state: "done"; fingerprint: string; sealed?: string };

// Compare-and-act on the claim, so a request whose claim was lost (its isolate stalled past the
// claim's lifetime) never extends or frees another request's claim.
const RENEW = `local v = redis.call("GET", KEYS[1])
if v and cjson.decode(v).claim == ARGV[1] then return redis.call("EXPIRE", KEYS[1], ARGV[2]) end
return 0`;
const RELEASE = `local v = redis.call("GET", KEYS[1])
if v and cjson.decode(v).claim == ARGV[1] then return redis.call("DEL", KEYS[1]) end
return 0`;

/**
 * Renews the claim every third of its lifetime while the handler runs, however long that is; a
 * crashed isolate stops renewing and the key is free again within IDEMPOTENCY_CLAIM_SECONDS.
 */
function keepClaimed(redis: RedisClient, slot: string, claim: string, seconds: number): () => void {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const tick = () => {
    timer = setTimeout(
      async () => {
        if (stopped) return;
        await redis.eval(RENEW, [slot], [claim, String(seconds)]).catch(() => {});
        if (!stopped) tick();
      },
      (seconds * 1000) / 3,
    );
  };
  tick();
  return () => {
    stopped = true;
    if (timer !== undefined) clearTimeout(timer);
  };
}

export const idempotency = createMiddleware<AppEnv>(async (c, next) => {
  const key = c.req.header("idempotency-key");
  if (key === undefined || !["POST", "PATCH", "PUT", "DELETE"].includes(c.req.method)) return next();
  if (!KEY_FORMAT.test(key)) {
    throw new AppError("VALIDATION_FAILED", "Idempotency-Key must be 1–255 visible ASCII characters.", {
      errors: [{ path: "header.idempotency-key", message: "must be 1–255 visible ASCII characters" }],
    });
  }
  const { redis, actor, config } = c.var;
  const slot = `idem:${actor?.id ?? "anonymous"}:${await sha256Hex(key)}`;
  const url = new URL(c.req.url);
  const fingerprint = await sha256Hex(`${c.req.method} ${url.pathname}${url.search}\n${await c.req.text()}`);
  const aad = `idempotency:${slot}`;

  const replay = async (s: Extract<Snapshot, { state: "done" }>) => {
    let kept: Kept;
    try {
      // Only what this service sealed is replayed: a snapshot in the clear (an earlier release's,
      // or planted by anyone who can write to Redis) or sealed under another key is not answered.
      if (typeof s.sealed !== "string") throw new Error("not sealed");
      kept = JSON.parse(await open(s.sealed, config.TOTP_ENCRYPTION_KEY, aad)) as Kept;
    } catch {
      throw new AppError("CONFLICT", "The response kept for this Idempotency-Key can no longer be read; send the request with a new key.");
    }
    return new Response(kept.body, { status: kept.status, headers: { ...kept.headers, "idempotent-replayed": "true" } });
  };
  const deadline = Date.now() + config.IDEMPOTENCY_WAIT_MS;
  const claim = crypto.randomUUID();
  const claimSeconds = config.IDEMPOTENCY_CLAIM_SECONDS;

  for (let wait = 0; ; wait++) {
    const claimed = await redis.set(slot, { state: "running", fingerprint, claim } satisfies Snapshot, { nx: true, ex: claimSeconds });
    if (claimed === "OK") break;
    const seen = await redis.get<Snapshot>(slot);
    if (!seen) continue; // the earlier attempt failed and let go: claim it again
    if (seen.fingerprint !== fingerprint) {
      throw new AppError("IDEMPOTENCY_KEY_REUSED", "This Idempotency-Key was already used with a different request.");
    }
    if (seen.state === "done") {
      c.res = await replay(seen);
      return;
    }
    if (Date.now() >= deadline)
      throw new AppError("IDEMPOTENCY_IN_PROGRESS", "A request with this Idempotency-Key is still running; retry shortly.");
    // Backing off (50 ms doubling to 800 ms, jittered): a crowd of waiters on one key would
    // otherwise poll Redis twenty times a second each.
    await new Promise((r) => setTimeout(r, Math.min(800, 50 * 2 ** wait) * (0.5 + Math.random() / 2)));
  }

  const release = () => redis.eval(RELEASE, [slot], [claim]);
  const stopRenewing = keepClaimed(redis, slot, claim, claimSeconds);
  try {
    await next();
  } catch (e) {
    stopRenewing();
    await release();
    throw e;
  }
  stopRenewing();
  const res = c.res;
  if (res.status >= 500) {
    await release();
    return;
  }
  const headers: Record<string, string> = {};
  for (const h of KEPT_HEADERS) {
    const v = res.headers.get(h);
    if (v !== null) headers[h] = v;
  }
  const kept: Kept = { status: res.status, headers, body: await res.clone().text() };
  const sealed = await seal(JSON.stringify(kept), config.TOTP_ENCRYPTION_KEY, aad);
  await redis.set(slot, { state: "done", fingerprint, sealed } satisfies Snapshot, { ex: IDEMPOTENCY_TTL_SECONDS });
});
