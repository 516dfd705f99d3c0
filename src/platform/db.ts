// Postgres through drizzle-orm over the Neon serverless driver in HTTP mode. `db.batch([...])`
// runs its statements in one transaction: all of them or none.
import { neon, neonConfig } from "@neondatabase/serverless";
import { drizzle, type NeonHttpDatabase } from "drizzle-orm/neon-http";
import * as schema from "../db/schema";
import { DEFAULT_DEPENDENCY_TIMEOUT_MS, dependencyFetch } from "./dependency";

export type Database = NeonHttpDatabase<typeof schema>;

export interface DbClient {
  db: Database;
  /** A round trip to Postgres; rejects if it is unreachable. */
  ping(signal?: AbortSignal): Promise<void>;
}

export interface DbConfig {
  DATABASE_URL: string;
  NEON_FETCH_ENDPOINT?: string | undefined;
  DEPENDENCY_TIMEOUT_MS?: number;
}

/**
 * One client per isolate and configuration. drizzle() walks the whole schema for its relational
 * config each time it is called (about 7% of a catalog miss's CPU when it was built per request),
 * and neither it nor the driver holds an I/O object: each query is its own fetch, made in the
 * context of the request that awaits it.
 */
let shared: { key: string; client: DbClient } | undefined;

export function createDb(cfg: DbConfig): DbClient {
  const key = JSON.stringify([cfg.DATABASE_URL, cfg.NEON_FETCH_ENDPOINT ?? null, cfg.DEPENDENCY_TIMEOUT_MS ?? null]);
  if (shared?.key !== key) shared = { key, client: buildDb(cfg) };
  return shared.client;
}

function buildDb(cfg: DbConfig): DbClient {
  // Local stack: the driver's HTTP endpoint is our adapter in front of real Postgres.
  if (cfg.NEON_FETCH_ENDPOINT) neonConfig.fetchEndpoint = cfg.NEON_FETCH_ENDPOINT;
  // The driver's one fetch (a global setting): bounded, and Postgres being down is a 503.
  neonConfig.fetchFunction = dependencyFetch("Postgres", "db", cfg.DEPENDENCY_TIMEOUT_MS ?? DEFAULT_DEPENDENCY_TIMEOUT_MS);
  const sql = neon(cfg.DATABASE_URL);
  const db = drizzle({ client: sql, schema, casing: "snake_case" });
  return {
    db,
    async ping(signal) {
      await sql.query("select 1", [], signal ? { fetchOptions: { signal } } : {});
    },
  };
}
