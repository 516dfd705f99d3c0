// Once per test run: the real services up (installed first if missing), a fresh test database
// with every migration applied, the tests' Redis database emptied, and the fault-injection
// control server.
import type { TestProject } from "vitest/node";
import { migrateDatabase } from "../scripts/db-migrate.ts";
import { postgres, redis } from "../scripts/stack/config.ts";
import { startControlServer } from "../scripts/stack/control.ts";
import { stackDown, stackStatus, stackUp } from "../scripts/stack/index.ts";
import { createDatabase } from "../scripts/stack/postgres.ts";
import { emptyDatabase } from "../scripts/stack/redis.ts";
import { TEST_DATABASE, testDatabaseUrl } from "./support/stack-env.ts";

export default async function setup(project: TestProject) {
  const wasUp = Object.values(await stackStatus()).every((s) => s.up);
  try {
    await stackUp({ quiet: true });
  } catch (e) {
    // Leave nothing half-started behind a failed start.
    if (!wasUp) await stackDown().catch(() => undefined);
    throw e;
  }
  createDatabase(TEST_DATABASE, true);
  await emptyDatabase(redis.testDatabase);
  await migrateDatabase(testDatabaseUrl, postgres.fetchEndpoint);
  const control = await startControlServer();
  project.provide("controlUrl", control.url);
  return async () => {
    await control.close();
    // Leave a stack the developer had running; stop one this run started (CI leaves nothing).
    if (!wasUp && !process.env.MN_KEEP_STACK) await stackDown();
  };
}
