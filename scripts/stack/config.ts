// Addresses and credentials of the local stack. Everything listens on 127.0.0.1; ports default
// to values that do not clash with a system Postgres (5432) or Redis (6379) and can be moved
// with MN_* environment variables. Credentials are fixed dev values: they never leave loopback.
import { resolve } from "node:path";

const root = resolve(import.meta.dirname, "../..");
const port = (name: string, fallback: number): number => {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`${name} must be a TCP port, got "${raw}"`);
  return n;
};

export const host = "127.0.0.1";
export const stateDir = resolve(process.env.MN_STACK_DIR ?? resolve(root, ".local/stack"));

export const ports = {
  postgres: port("MN_PG_PORT", 54329),
  neonHttp: port("MN_NEON_HTTP_PORT", 54330),
  redis: port("MN_REDIS_PORT", 63799),
  upstash: port("MN_UPSTASH_PORT", 63800),
  memcached: port("MN_MEMCACHED_PORT", 11299),
  swiftProxy: port("MN_S3_PORT", 18080),
  swiftObject: port("MN_SWIFT_OBJECT_PORT", 16010),
  swiftContainer: port("MN_SWIFT_CONTAINER_PORT", 16011),
  swiftAccount: port("MN_SWIFT_ACCOUNT_PORT", 16012),
  jobService: port("MN_JOB_PORT", 18090),
  cdn: port("MN_CDN_PORT", 18081),
  /** Where the browser tests serve the page of the one site the stack lets fetch media. */
  testSite: port("MN_TEST_SITE_PORT", 18082),
} as const;

/**
 * The browser origins the local stack's media answer CORS for: S3 (Swift's container CORS and
 * s3api's preflight) and the local CDN, as Terraform's player_origins feed the bucket and
 * CloudFront. Exact origins, no wildcard (Swift takes none): a dev server on 5173, the Worker's
 * own 8787 (its /docs page), and the browser tests' site. A page anywhere else is refused.
 */
export const browserOrigins = [
  "http://localhost:5173",
  "http://127.0.0.1:5173",
  "http://localhost:8787",
  "http://127.0.0.1:8787",
  `http://${host}:${ports.testSite}`,
];

export const postgres = {
  user: "moviesnow",
  password: "moviesnow-dev",
  database: "moviesnow",
  /** Connection string the Neon driver sends; its host is rewritten to the HTTP adapter. */
  url: `postgresql://moviesnow:moviesnow-dev@${host}:${ports.postgres}/moviesnow`,
  fetchEndpoint: `http://${host}:${ports.neonHttp}/sql`,
};

export const redis = {
  restUrl: `http://${host}:${ports.upstash}`,
  /** Development's database (0): kept across runs, as Upstash keeps its data. */
  restToken: "moviesnow-dev-upstash-token",
  /** The tests' own database (1), emptied at the start of every test run. */
  testRestToken: "moviesnow-test-upstash-token",
  testDatabase: 1,
};

/** The adapter's tokens and the logical Redis database each one opens. */
export const upstashDatabases = (): Record<string, number> => ({ [redis.restToken]: 0, [redis.testRestToken]: redis.testDatabase });

export const jobService = {
  url: `http://${host}:${ports.jobService}`,
  /** The Worker signs its calls with this; the job service answers nothing else (local stack only). */
  secret: "moviesnow-dev-job-service-secret-not-for-production",
};

export const s3 = {
  endpoint: `http://${host}:${ports.swiftProxy}`,
  region: "us-east-1",
  bucket: "moviesnow-dev",
  // Swift's tempauth: the S3 access key is "account:user", the secret is the user's key.
  accessKeyId: "moviesnow:dev",
  secretAccessKey: "moviesnow-dev-secret",
  swiftAccount: "AUTH_moviesnow",
};

/** The S3 settings of this stack, as the Worker, the job service and scripts name them. */
export const s3Env = {
  AWS_BUCKET_NAME: s3.bucket,
  AWS_REGION: s3.region,
  AWS_ACCESS_KEY_ID: s3.accessKeyId,
  AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
  S3_ENDPOINT: s3.endpoint,
  // Swift has no server-side encryption.
  S3_SSE: "none",
};

/** The values the Worker needs to talk to this stack (wrangler dev's .dev.vars, tests' bindings). */
export function workerVars(): Record<string, string> {
  return {
    DATABASE_URL: postgres.url,
    NEON_FETCH_ENDPOINT: postgres.fetchEndpoint,
    UPSTASH_REDIS_REST_URL: redis.restUrl,
    UPSTASH_REDIS_REST_TOKEN: redis.restToken,
    ...s3Env,
    JOB_RUNNER_URL: jobService.url,
    JOB_SERVICE_SECRET: jobService.secret,
    ADMIN_JWT_SECRET: "moviesnow-dev-jwt-secret-not-for-production-0001",
    TOTP_ENCRYPTION_KEY: "bW92aWVzbm93LWRldi10b3RwLWtleS0zMi1ieXRlcyE=",
  };
}

/**
 * The local CloudFront stand-in in front of this stack's S3 (scripts/stack/cdn.ts), with a key pair
 * of its own made on first start. `npm run dev -- --cdn` signs delivery URLs for it.
 */
export const cdn = {
  url: `http://${host}:${ports.cdn}`,
  keyPairId: "KLOCALDEVCDN",
  privateKeyFile: resolve(stateDir, "cdn/private.pem"),
  publicKeyFile: resolve(stateDir, "cdn/public.pem"),
};
