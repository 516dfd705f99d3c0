import { env } from "cloudflare:test";
import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditLogs, titles } from "../../src/db/schema";
import { createDb } from "../../src/platform/db";
import { parseEnv } from "../../src/platform/env";
import { uid } from "../support/ids";

const { db, ping } = createDb(parseEnv(env));

const titleRow = (overrides: Partial<typeof titles.$inferInsert> = {}): typeof titles.$inferInsert => ({
  kind: "movie",
  slug: uid("slug"),
  name: "A Test Title",
  ...overrides,
});

describe("Postgres through drizzle over the Neon HTTP protocol", () => {
  it("has the migrations applied", async () => {
    await ping();
    const tables = await db.execute<{ table_name: string }>(
      sql`select table_name from information_schema.tables where table_schema = 'public' order by table_name`,
    );
    expect(tables.rows.map((r) => r.table_name)).toEqual(
      expect.arrayContaining(["admin_users", "audit_logs", "bundles", "episodes", "media_assets", "seasons", "titles"]),
    );
    const applied = await db.execute<{ n: number }>(sql`select count(*)::int as n from drizzle.__drizzle_migrations`);
    expect(applied.rows[0]?.n).toBeGreaterThanOrEqual(1);
  });

  it("round-trips typed values (arrays, numbers, timestamps, generated search column)", async () => {
    const row = titleRow({ name: "Night Train", genres: ["drama", "thriller"], year: 1999, popularity: 4.5 });
    const [inserted] = await db.insert(titles).values(row).returning();
    expect(inserted?.genres).toEqual(["drama", "thriller"]);
    expect(inserted?.createdAt).toBeInstanceOf(Date);
    const found = await db.execute<{ slug: string }>(
      sql`select slug from titles where search @@ plainto_tsquery('simple', 'night') and slug = ${row.slug}`,
    );
    expect(found.rows).toEqual([{ slug: row.slug }]);
  });

  it("a batch commits all its statements together", async () => {
    const row = titleRow();
    const requestId = uid("req");
    await db.batch([
      db.insert(titles).values(row),
      db.insert(auditLogs).values({ actor: "test", action: "title.create", resourceType: "title", resourceId: row.slug, requestId }),
    ]);
    expect(await db.select().from(titles).where(eq(titles.slug, row.slug))).toHaveLength(1);
    expect(await db.select().from(auditLogs).where(eq(auditLogs.requestId, requestId))).toHaveLength(1);
  });

  it("a batch whose last statement fails rolls back as a whole", async () => {
    const existing = titleRow();
    await db.insert(titles).values(existing);
    const fresh = titleRow();
    const requestId = uid("req");
    await expect(
      db.batch([
        db.insert(titles).values(fresh),
        db.insert(auditLogs).values({ actor: "test", action: "title.create", resourceType: "title", requestId }),
        db.insert(titles).values(titleRow({ slug: existing.slug })), // unique violation
      ]),
    ).rejects.toThrow(/duplicate key|unique/i);
    expect(await db.select().from(titles).where(eq(titles.slug, fresh.slug))).toHaveLength(0);
    expect(await db.select().from(auditLogs).where(eq(auditLogs.requestId, requestId))).toHaveLength(0);
  });

  it("surfaces Postgres errors with their SQLSTATE", async () => {
    const err = await db
      .insert(titles)
      .values(titleRow({ year: 1e6 })) // smallint overflow
      .then(() => null)
      .catch((e: unknown) => e as { cause?: { code?: string }; code?: string });
    expect(err).not.toBeNull();
    expect(err?.cause?.code ?? err?.code).toBe("22003");
  });

  it("enforces the three streaming tiers on HLS assets only", async () => {
    const [t] = await db.insert(titles).values(titleRow()).returning();
    const base = { titleId: t?.id ?? "", filename: "master.m3u8" } as const;
    await expect(
      db.execute(
        sql`insert into media_assets (title_id, kind, storage_key, filename, stream_tier) values (${base.titleId}, 'HLS', ${uid("hls/")}, 'a', 540)`,
      ),
    ).rejects.toMatchObject({ cause: { constraint: "media_assets_stream_tier_check" } });
    await expect(
      db.execute(
        sql`insert into media_assets (title_id, kind, storage_key, filename, stream_tier) values (${base.titleId}, 'AUDIO', ${uid("a/")}, 'a', 720)`,
      ),
    ).rejects.toMatchObject({ cause: { constraint: "media_assets_stream_tier_check" } });
  });
});
