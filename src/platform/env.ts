// The Worker's configuration, parsed once per isolate with zod. A missing or malformed variable
// is a startup error that names every offending variable.
import * as z from "zod";
import { JOB_SERVICE_SECRET_MIN_LENGTH } from "../lib/job-auth";
import { DEFAULT_DEPENDENCY_TIMEOUT_MS } from "./dependency";

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v));
const intVar = (def: number, min: number, max: number) => z.coerce.number().int().min(min).max(max).default(def);

/** "N/<window>" with the window in s, m or h: "5/15m" is five per fifteen minutes. */
export interface RateRule {
  limit: number;
  windowSeconds: number;
}
const UNIT_SECONDS = { s: 1, m: 60, h: 3600 } as const;
const rateRule = (def: string) =>
  z
    .string()
    .default(def)
    .transform((v, ctx): RateRule => {
      const m = v.trim().match(/^(\d+)\s*\/\s*(\d+)\s*([smh])$/);
      const limit = Number(m?.[1]);
      const windowSeconds = Number(m?.[2]) * UNIT_SECONDS[(m?.[3] ?? "s") as keyof typeof UNIT_SECONDS];
      if (!m || limit < 1 || windowSeconds < 1) {
        ctx.addIssue({ code: "custom", message: `must look like "100/60s", "5/15m" or "1000/1h", got "${v}"` });
        return z.NEVER;
      }
      return { limit, windowSeconds };
    });
/**
 * A comma- or space-separated list of browser origins ("https://www.example.com"): scheme, host and
 * port only, no path and no wildcard, each written as the browser sends it in `Origin`.
 */
const originList = z
  .string()
  .optional()
  .transform((v, ctx): string[] => {
    const out: string[] = [];
    for (const o of (v ?? "").split(/[\s,]+/).filter(Boolean)) {
      let origin: string | null = null;
      try {
        origin = new URL(o).origin;
      } catch {
        origin = null;
      }
      if (origin !== o || !/^https?:\/\/[^*]+$/.test(o)) {
        ctx.addIssue({
          code: "custom",
          message: `"${o}" is not an origin: write it as a browser sends it, e.g. https://www.example.com (no path, no *)`,
        });
        return z.NEVER;
      }
      out.push(origin);
    }
    return out;
  });
const base64Key32 = z.string().refine((v) => {
  try {
    return atob(v).length === 32;
  } catch {
    return false;
  }
}, "must be 32 random bytes, base64-encoded (openssl rand -base64 32)");

export const envSchema = z
  .object({
    ENVIRONMENT: z.enum(["development", "test", "production"]).default("production"),
    DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }),
    /** Local stack only: where the Neon HTTP adapter listens (production derives it from DATABASE_URL). */
    NEON_FETCH_ENDPOINT: z.url().optional(),
    UPSTASH_REDIS_REST_URL: z.url({ protocol: /^https?$/ }),
    UPSTASH_REDIS_REST_TOKEN: z.string().min(1),
    AWS_BUCKET_NAME: z.string().min(3).max(63),
    AWS_REGION: z.string().min(1),
    AWS_ACCESS_KEY_ID: z.string().min(1),
    AWS_SECRET_ACCESS_KEY: z.string().min(1),
    /** Local stack only: path-style S3 endpoint (Swift s3api). Unset → AWS virtual-hosted style. */
    S3_ENDPOINT: z.url().optional(),
    /** Server-side encryption asked of S3 on uploads. Swift (the local stack) has none. */
    S3_SSE: z.enum(["AES256", "none"]).default("AES256"),
    /** Objects up to this size are checksummed inline by the Worker; larger ones need the runner or a given sha256. */
    CHECKSUM_INLINE_MAX_BYTES: intVar(64 * 1024 * 1024, 0, 1024 * 1024 * 1024),
    /** Lifetime of presigned upload URLs (single PUT and multipart parts). */
    UPLOAD_URL_TTL_SECONDS: intVar(3600, 60, 7 * 24 * 3600),
    CLOUDFRONT_DOMAIN: optionalString,
    CLOUDFRONT_KEY_PAIR_ID: optionalString,
    CLOUDFRONT_PRIVATE_KEY: optionalString,
    /** Hash of CloudFront URL signatures: SHA256, or SHA1 for distributions that still need it. */
    CLOUDFRONT_SIGNATURE_HASH: z.enum(["SHA1", "SHA256"]).default("SHA256"),
    /** How long a signed playlist URL (from /streams) can be used to start playback. */
    HLS_PLAYLIST_TTL_SECONDS: intVar(300, 10, 24 * 3600),
    /** How long segment URLs inside a served playlist stay valid (covers a whole viewing). */
    HLS_SEGMENT_TTL_SECONDS: intVar(4 * 3600, 60, 7 * 24 * 3600),
    /** Where the bundle job service answers (local stack, tests). Unset: the Cloudflare Container binding. */
    JOB_RUNNER_URL: z.url().optional(),
    /** Shared with the job service, which answers only calls signed with it (HMAC-SHA256). */
    JOB_SERVICE_SECRET: optionalString.pipe(
      z.string().min(JOB_SERVICE_SECRET_MIN_LENGTH, `must be at least ${JOB_SERVICE_SECRET_MIN_LENGTH} characters`).optional(),
    ),
    /** Season ZIPs as media servers want them (folders, subtitles, artwork, NFO), or only the episodes' files. */
    BUNDLE_LAYOUT: z.enum(["library", "flat"]).default("library"),
    /** How long a rebuilt bundle stays (the bucket's lifecycle expires bundles after 7–30 days). */
    BUNDLE_TTL_SECONDS: intVar(7 * 24 * 3600, 3600, 30 * 24 * 3600),
    /** How often the SeasonBundle object checks on its job. */
    BUNDLE_POLL_INTERVAL_MS: intVar(2000, 50, 60_000),
    /** First retry delay of a lost or failed job; doubles per attempt. */
    BUNDLE_RETRY_BASE_MS: intVar(5000, 50, 600_000),
    BUNDLE_MAX_ATTEMPTS: intVar(4, 1, 10),
    /** Longest lifetime an admin can give a one-time download token. */
    DOWNLOAD_TOKEN_MAX_TTL_SECONDS: intVar(7 * 24 * 3600, 60, 30 * 24 * 3600),
    PUBLIC_API_KEY: optionalString,
    /**
     * Browser origins (web sites and players) that may call the public API and play its playlists.
     * Unset: none in production, loopback origins (http://localhost, 127.0.0.1, [::1], any port)
     * elsewhere.
     */
    CORS_ALLOWED_ORIGINS: originList,
    /** Browser origins that may call /admin routes (an operator console on its own domain). Unset: none. */
    CORS_ADMIN_ORIGINS: originList,
    /** X-Admin-Key for automation; at least 32 characters. It can't manage admin accounts. */
    ADMIN_API_KEY: optionalString.pipe(z.string().min(32, "must be at least 32 characters (openssl rand -base64 48)").optional()),
    /** Signs admin session tokens (HS256). */
    ADMIN_JWT_SECRET: z.string().min(32, "must be at least 32 characters"),
    /** Encrypts secrets at rest (AES-256-GCM): admins' TOTP seeds and kept Idempotency-Key responses. */
    TOTP_ENCRYPTION_KEY: base64Key32,
    RATE_LIMIT_PUBLIC: rateRule("300/60s"),
    RATE_LIMIT_PRESIGN: rateRule("60/60s"),
    RATE_LIMIT_ADMIN: rateRule("600/60s"),
    RATE_LIMIT_LOGIN_IP: rateRule("20/15m"),
    /** Sign-ins per account from one network (IPv4 address or IPv6 /64), counted before the password is checked. */
    RATE_LIMIT_LOGIN_ACCOUNT: rateRule("5/15m"),
    /**
     * Failed sign-ins per account from every network together; past it only networks the admin has
     * signed in from (last 30 days) may try, so a distributed guesser can't lock them out of those.
     */
    RATE_LIMIT_LOGIN_ACCOUNT_ALL: rateRule("30/1h"),
    /** TOTP codes evaluated per admin account, across all its sign-in challenges; past it, a cool-down. */
    RATE_LIMIT_MFA_ACCOUNT: rateRule("20/1h"),
    /** How long a request waits for an identical one (same Idempotency-Key) still running before answering 409. */
    IDEMPOTENCY_WAIT_MS: intVar(5000, 0, 30_000),
    /**
     * Lifetime of a running request's claim on its Idempotency-Key. Renewed while the request runs,
     * so it bounds only how long a crashed request keeps its key from being retried.
     */
    IDEMPOTENCY_CLAIM_SECONDS: intVar(30, 2, 600),
    BUNDLE_REBUILD_COOLDOWN_SECONDS: intVar(3600, 0, 7 * 24 * 3600),
    /** After a failed build, the next unforced one waits max(this, twice the cooldown), doubling per failure in a row (≤ 7 days). */
    BUNDLE_FAILURE_BACKOFF_SECONDS: intVar(4 * 3600, 60, 7 * 24 * 3600),
    /** Public season builds running at once across the whole service; past it a new one is refused with 503 + Retry-After. */
    BUNDLE_MAX_CONCURRENT_BUILDS: intVar(10, 1, 1000),
    /** Builds public requests may start per UTC day; past it they are refused with 429 until midnight UTC (admin rebuilds skip the gate). */
    BUNDLE_DAILY_BUILD_BUDGET: intVar(500, 0, 1_000_000),
    /** Of the public build slots, what one client (its network) may hold at once; past it 429 + Retry-After. */
    BUNDLE_CLIENT_MAX_CONCURRENT_BUILDS: intVar(2, 1, 1000),
    /** Builds one client (its network) may start per UTC day; past it 429 until midnight UTC. */
    BUNDLE_CLIENT_DAILY_BUILD_BUDGET: intVar(20, 0, 1_000_000),
    /** Instant season ZIPs one client (its network) may stream from S3 at once (download managers open several). */
    INSTANT_ZIP_MAX_STREAMS_PER_CLIENT: intVar(8, 1, 1000),
    BATCH_DOWNLOAD_MAX_ITEMS: intVar(50, 1, 1000),
    PRESIGN_TTL_DEFAULT_SECONDS: intVar(300, 1, 7 * 24 * 3600),
    PRESIGN_TTL_MIN_SECONDS: intVar(60, 1, 7 * 24 * 3600),
    PRESIGN_TTL_MAX_SECONDS: intVar(3600, 1, 7 * 24 * 3600),
    /** How long a request waits for Postgres, Redis or S3 to start answering before a 503. */
    DEPENDENCY_TIMEOUT_MS: intVar(DEFAULT_DEPENDENCY_TIMEOUT_MS, 100, 60_000),
    /** How long /ready waits for each dependency. */
    READY_TIMEOUT_MS: intVar(2000, 50, 30_000),
    /**
     * How long a rate-limit decision may wait on Redis. Short on purpose: past it public reads go
     * on unlimited (fail open) and admin calls and sign-in are shed with 503 + Retry-After.
     */
    RATE_LIMIT_TIMEOUT_MS: intVar(1000, 50, 60_000),
    /** How long a call to the bundle job service (start, status, cancel) may take. */
    JOB_RUNNER_TIMEOUT_MS: intVar(10_000, 100, 120_000),
  })
  .superRefine((e, ctx) => {
    if (!(e.PRESIGN_TTL_MIN_SECONDS <= e.PRESIGN_TTL_DEFAULT_SECONDS && e.PRESIGN_TTL_DEFAULT_SECONDS <= e.PRESIGN_TTL_MAX_SECONDS)) {
      ctx.addIssue({
        code: "custom",
        path: ["PRESIGN_TTL_DEFAULT_SECONDS"],
        message: "must satisfy PRESIGN_TTL_MIN_SECONDS <= PRESIGN_TTL_DEFAULT_SECONDS <= PRESIGN_TTL_MAX_SECONDS",
      });
    }
    if (e.JOB_RUNNER_URL && !e.JOB_SERVICE_SECRET) {
      ctx.addIssue({
        code: "custom",
        path: ["JOB_SERVICE_SECRET"],
        message: "is required with JOB_RUNNER_URL: the job service answers only calls signed with it",
      });
    }
    const cf = [e.CLOUDFRONT_DOMAIN, e.CLOUDFRONT_KEY_PAIR_ID, e.CLOUDFRONT_PRIVATE_KEY];
    if (cf.some(Boolean) && !cf.every(Boolean)) {
      ctx.addIssue({
        code: "custom",
        path: ["CLOUDFRONT_DOMAIN"],
        message: "CLOUDFRONT_DOMAIN, CLOUDFRONT_KEY_PAIR_ID and CLOUDFRONT_PRIVATE_KEY are set together or not at all",
      });
    }
  });

export type AppConfig = z.infer<typeof envSchema>;

/** The server-side encryption an upload asks S3 for, as options to spread into a presign or multipart call. */
export const uploadEncryption = (c: Pick<AppConfig, "S3_SSE">): { sse?: "AES256" } => (c.S3_SSE === "AES256" ? { sse: "AES256" } : {});

/**
 * Values that are secrets: set with `wrangler secret put` (`npm run deploy` does it), never written
 * in wrangler.toml. The JOB_AWS_* pair is read by the bundle job container's binding, not parsed here.
 */
export const SECRET_VARS = [
  "DATABASE_URL",
  "UPSTASH_REDIS_REST_URL",
  "UPSTASH_REDIS_REST_TOKEN",
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "JOB_AWS_ACCESS_KEY_ID",
  "JOB_AWS_SECRET_ACCESS_KEY",
  "JOB_SERVICE_SECRET",
  "CLOUDFRONT_PRIVATE_KEY",
  "PUBLIC_API_KEY",
  "ADMIN_API_KEY",
  "ADMIN_JWT_SECRET",
  "TOTP_ENCRYPTION_KEY",
] as const;
export type SecretVar = (typeof SECRET_VARS)[number];

/** Secrets production may go without: CloudFront signing, and the two optional API keys. */
const OPTIONAL_SECRETS: readonly SecretVar[] = ["CLOUDFRONT_PRIVATE_KEY", "PUBLIC_API_KEY", "ADMIN_API_KEY"];
/** Secrets production cannot start without (among them the bundle job container's own key: it never gets the Worker's). */
export const REQUIRED_SECRETS: readonly SecretVar[] = SECRET_VARS.filter((n) => !OPTIONAL_SECRETS.includes(n));

/** Thrown when the bindings do not parse; its message names each bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(`invalid configuration: ${problems.map((p) => `${p.variable}: ${p.message}`).join("; ")}`);
    this.name = "ConfigError";
  }
}

const cache = new WeakMap<object, AppConfig>();

export function parseEnv(bindings: object): AppConfig {
  const hit = cache.get(bindings);
  if (hit) return hit;
  const r = envSchema.safeParse(bindings);
  if (!r.success) {
    throw new ConfigError(
      r.error.issues.map((i) => ({
        variable: String(i.path[0] ?? "(env)"),
        message: i.code === "invalid_type" && i.input === undefined ? "is required but not set" : i.message,
      })),
    );
  }
  cache.set(bindings, r.data);
  return r.data;
}
