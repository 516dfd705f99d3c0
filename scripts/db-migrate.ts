// npm run db:migrate — applies drizzle/ migrations to DATABASE_URL over the Neon HTTP driver
// (Neon in production; the local adapter when NEON_FETCH_ENDPOINT is set). With no
// DATABASE_URL it targets the local stack.
import { resolve } from "node:path";
import { neon, neonConfig } from "@neondatabase/serverless";
import { drizzle } from "drizzle-orm/neon-http";
import { migrate } from "drizzle-orm/neon-http/migrator";
import { postgres } from "./stack/config.ts";

export async function migrateDatabase(url: string, fetchEndpoint?: string): Promise<void> {
  if (fetchEndpoint) neonConfig.fetchEndpoint = fetchEndpoint;
  const db = drizzle({ client: neon(url) });
  await migrate(db, { migrationsFolder: resolve(import.meta.dirname, "../drizzle") });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const url = process.env.DATABASE_URL ?? postgres.url;
  const endpoint = process.env.NEON_FETCH_ENDPOINT ?? (process.env.DATABASE_URL ? undefined : postgres.fetchEndpoint);
  const safe = url.replace(/\/\/([^:]+):[^@]*@/, "//$1:***@");
  try {
    await migrateDatabase(url, endpoint);
    console.log(`[db:migrate] ${safe} is up to date`);
  } catch (e) {
    console.error(`[db:migrate] failed on ${safe}: ${(e as Error).message}`);
    process.exitCode = 1;
  }
}
