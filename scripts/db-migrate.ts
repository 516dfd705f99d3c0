// npm run db:migrate — applies drizzle/ migrations to DATABASE_URL over the Neon HTTP driver
// (Neon in production; the local adapter when NEON_FETCH_ENDPOINT is set). With no
// DATABASE_URL it targets the local stack.
//
// Each migration runs in one transaction together with its row in drizzle.__drizzle_migrations
// (the table drizzle-kit's own migrator uses), so a failing migration leaves nothing behind and
// the next run starts from the same place. drizzle's neon-http migrator runs statements one by
// one and records them only at the end, which can leave a half-applied, unrecorded migration.
import { resolve } from "node:path";
import { neon, neonConfig } from "@neondatabase/serverless";
import { readMigrationFiles } from "drizzle-orm/migrator";
import { postgres } from "./stack/config.ts";

export const MIGRATIONS_DIR = resolve(import.meta.dirname, "../drizzle");

export async function migrateDatabase(url: string, fetchEndpoint?: string, migrationsFolder = MIGRATIONS_DIR): Promise<number> {
  if (fetchEndpoint) neonConfig.fetchEndpoint = fetchEndpoint;
  const sql = neon(url);
  await sql.query("CREATE SCHEMA IF NOT EXISTS drizzle");
  await sql.query("CREATE TABLE IF NOT EXISTS drizzle.__drizzle_migrations (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint)");
  const [last] = (await sql.query("select created_at from drizzle.__drizzle_migrations order by created_at desc limit 1")) as {
    created_at: string;
  }[];
  const lastApplied = last ? Number(last.created_at) : -1;
  let applied = 0;
  for (const m of readMigrationFiles({ migrationsFolder })) {
    if (m.folderMillis <= lastApplied) continue;
    const statements = m.sql.map((s) => s.trim()).filter(Boolean);
    await sql.transaction([
      // Two migrators at once wait for each other; the second then fails on "already exists" and rolls back.
      sql.query("select pg_advisory_xact_lock(7220155)"),
      ...statements.map((s) => sql.query(s)),
      sql.query('insert into drizzle.__drizzle_migrations ("hash", "created_at") values ($1, $2)', [m.hash, m.folderMillis]),
    ]);
    applied += 1;
  }
  return applied;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const url = process.env.DATABASE_URL ?? postgres.url;
  const endpoint = process.env.NEON_FETCH_ENDPOINT ?? (process.env.DATABASE_URL ? undefined : postgres.fetchEndpoint);
  const safe = url.replace(/\/\/([^:]+):[^@]*@/, "//$1:***@");
  try {
    const n = await migrateDatabase(url, endpoint);
    console.log(`[db:migrate] ${safe}: ${n} migration(s) applied, up to date`);
  } catch (e) {
    console.error(`[db:migrate] failed on ${safe}: ${(e as Error).message}`);
    process.exitCode = 1;
  }
}
