// The test run's view of the local stack: its own Postgres database, recreated and migrated each
// run, and its own Redis database (another Upstash token), emptied each run, so nothing that
// `npm run dev` left behind (rate-limit counters, snapshots, tokens) changes a test's outcome.
import { postgres, redis, workerVars } from "../../scripts/stack/config.ts";

export const TEST_DATABASE = "moviesnow_test";
export const testDatabaseUrl = postgres.url.replace(/\/[^/]+$/, `/${TEST_DATABASE}`);

export function testWorkerVars(): Record<string, string> {
  // Every optional variable is set explicitly so a developer's .dev.vars can't leak into tests.
  return {
    ...workerVars(),
    ENVIRONMENT: "test",
    DATABASE_URL: testDatabaseUrl,
    UPSTASH_REDIS_REST_TOKEN: redis.testRestToken,
    PUBLIC_API_KEY: "",
    CORS_ALLOWED_ORIGINS: "",
    CORS_ADMIN_ORIGINS: "",
    ADMIN_API_KEY: "",
    CLOUDFRONT_DOMAIN: "",
    CLOUDFRONT_KEY_PAIR_ID: "",
    CLOUDFRONT_PRIVATE_KEY: "",
    // Bundle builds followed and retried quickly, so tests don't wait on production pacing.
    BUNDLE_POLL_INTERVAL_MS: "150",
    BUNDLE_RETRY_BASE_MS: "500",
    // Test files build seasons side by side; the gate's own tests set these limits themselves.
    BUNDLE_MAX_CONCURRENT_BUILDS: "1000",
    BUNDLE_DAILY_BUILD_BUDGET: "1000000",
    BUNDLE_CLIENT_MAX_CONCURRENT_BUILDS: "1000",
    BUNDLE_CLIENT_DAILY_BUILD_BUDGET: "1000000",
    // Test files stream instant ZIPs side by side from one address; the cap's own test sets it.
    INSTANT_ZIP_MAX_STREAMS_PER_CLIENT: "1000",
  };
}
