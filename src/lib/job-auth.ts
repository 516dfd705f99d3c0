// How the Worker proves itself to the bundle job service, and how the service checks it: an
// HMAC-SHA256 under JOB_SERVICE_SECRET over the method, the path with its query, a timestamp, a
// random nonce and the body's SHA-256. The service refuses a timestamp more than
// JOB_AUTH_MAX_SKEW_SECONDS away from its clock and a nonce it has seen within that window, so a
// captured request can be neither altered nor sent again. WebCrypto only: the Worker and Node
// share this file.
import { constantTimeEqual, sha256Hex, toHex, utf8 } from "./crypto/encoding";

export const JOB_AUTH_HEADERS = {
  timestamp: "x-job-timestamp",
  nonce: "x-job-nonce",
  signature: "x-job-signature",
} as const;
export const JOB_AUTH_MAX_SKEW_SECONDS = 60;
export const JOB_SERVICE_SECRET_MIN_LENGTH = 32;

export interface SignedParts {
  method: string;
  /** Path and query, exactly as sent: "/jobs/abc?x=1". */
  path: string;
  body: string | Uint8Array<ArrayBuffer>;
}

async function signature(secret: string, p: SignedParts, timestamp: string, nonce: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", utf8(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const canonical = [
    "v1",
    p.method.toUpperCase(),
    p.path,
    timestamp,
    nonce,
    await sha256Hex(typeof p.body === "string" ? utf8(p.body) : p.body),
  ].join("\n");
  return toHex(new Uint8Array(await crypto.subtle.sign("HMAC", key, utf8(canonical))));
}

/** The headers that authenticate one request. */
export async function signJobRequest(secret: string, p: SignedParts, nowMs = Date.now()): Promise<Record<string, string>> {
  const timestamp = String(Math.floor(nowMs / 1000));
  const nonce = crypto.randomUUID();
  return {
    [JOB_AUTH_HEADERS.timestamp]: timestamp,
    [JOB_AUTH_HEADERS.nonce]: nonce,
    [JOB_AUTH_HEADERS.signature]: await signature(secret, p, timestamp, nonce),
  };
}

/** Nonces seen within the skew window; older ones are forgotten (their timestamps are refused anyway). */
export class NonceCache {
  private readonly seen = new Map<string, number>();
  /** False when `nonce` was already used. */
  claim(nonce: string, nowMs: number): boolean {
    for (const [n, until] of this.seen) {
      if (until > nowMs) break; // insertion order is expiry order
      this.seen.delete(n);
    }
    if (this.seen.has(nonce)) return false;
    this.seen.set(nonce, nowMs + 2 * JOB_AUTH_MAX_SKEW_SECONDS * 1000);
    return true;
  }
}

export type JobAuthResult = { ok: true } | { ok: false; reason: string };

export async function verifyJobRequest(
  secret: string,
  p: SignedParts,
  header: (name: string) => string | undefined,
  nonces: NonceCache,
  nowMs = Date.now(),
): Promise<JobAuthResult> {
  const timestamp = header(JOB_AUTH_HEADERS.timestamp);
  const nonce = header(JOB_AUTH_HEADERS.nonce);
  const given = header(JOB_AUTH_HEADERS.signature);
  if (!timestamp || !nonce || !given) return { ok: false, reason: "missing signature headers" };
  if (!/^\d{1,12}$/.test(timestamp) || !/^[\w-]{8,100}$/.test(nonce)) return { ok: false, reason: "malformed signature headers" };
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > JOB_AUTH_MAX_SKEW_SECONDS) return { ok: false, reason: "stale timestamp" };
  if (!(await constantTimeEqual(given, await signature(secret, p, timestamp, nonce)))) return { ok: false, reason: "bad signature" };
  // Only a request that verified may take its nonce: forged ones can't fill the cache.
  if (!nonces.claim(nonce, nowMs)) return { ok: false, reason: "replayed request" };
  return { ok: true };
}
