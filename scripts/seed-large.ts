// npm run seed:large [-- --titles 100000 --explain-only] — a catalog of 100,000 generated titles
// (a fifth of them series with seasons and episodes) in the local stack's database (or
// DATABASE_URL), then EXPLAIN ANALYZE of the exact SQL the service sends for public browsing:
// every sort's first page and a deep keyset page, filters, text search and a title's page. The
// plans show whether each one reads an index or the whole table. Generated rows have slugs
// starting with "large-"; a rerun adds only what is missing.
import { mkdirSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { neon, neonConfig } from "@neondatabase/serverless";
import { drizzle } from "drizzle-orm/neon-http";
import * as schema from "../src/db/schema/index.ts";
import { type PublicTitleQuery, publishedTitleDetail, searchTitles } from "../src/features/catalog/service.ts";
import type { Database } from "../src/platform/db.ts";
import { migrateDatabase } from "./db-migrate.ts";
import { postgres } from "./stack/config.ts";
import { stackStatus, stackUp } from "./stack/index.ts";

const { values: opts } = parseArgs({
  options: { titles: { type: "string", default: "100000" }, "explain-only": { type: "boolean", default: false } },
});
const TARGET = Number(opts.titles);
const url = process.env.DATABASE_URL ?? postgres.url;
if (!process.env.DATABASE_URL) {
  if (!Object.values(await stackStatus()).every((s) => s.up)) await stackUp({ quiet: true });
  neonConfig.fetchEndpoint = postgres.fetchEndpoint;
} else if (process.env.NEON_FETCH_ENDPOINT) neonConfig.fetchEndpoint = process.env.NEON_FETCH_ENDPOINT;
await migrateDatabase(url, neonConfig.fetchEndpoint as string | undefined);
const sql = neon(url);

// Words for names and overviews, so text search and trigram matching see realistic text.
const WORDS = `shadow river night city last king storm glass winter empire silent garden iron broken secret ocean
  golden hollow midnight crown wild echo stone paper falling light dark summer harbor machine lost north
  fire island ghost letter orchard signal velvet desert thunder mirror lantern copper forest bridge tide`
  .trim()
  .split(/\s+/);
const GENRES = ["drama", "comedy", "thriller", "documentary", "animation", "horror", "romance", "sci-fi", "crime", "family"];
const LANGUAGES = ["en", "fr", "de", "es", "it", "ja", "ko", "pt", "hi", "sv"];

async function seed() {
  const [{ n } = { n: 0 }] = (await sql.query("select count(*)::int as n from titles where slug like 'large-%'")) as { n: number }[];
  if (n >= TARGET) {
    console.log(`[seed:large] ${n} generated titles already there`);
    return;
  }
  const words = `array[${WORDS.map((w) => `'${w}'`).join(",")}]`;
  const pick = (arr: string, salt: number) => `(${arr})[1 + (hashint4(i * ${salt}) & 2147483647) % array_length(${arr}, 1)]`;
  const genres = `array[${GENRES.map((g) => `'${g}'`).join(",")}]`;
  const languages = `array[${LANGUAGES.map((l) => `'${l}'`).join(",")}]`;
  const BATCH = 10_000;
  for (let from = n + 1; from <= TARGET; from += BATCH) {
    const to = Math.min(TARGET, from + BATCH - 1);
    // One statement per batch: titles, then for each series 2 seasons of 8 episodes.
    await sql.transaction([
      sql.query(
        `insert into titles (kind, slug, name, overview, year, genres, languages, status, popularity, created_at)
         select case when i % 5 = 0 then 'series' else 'movie' end::title_kind,
                'large-' || i,
                initcap(${pick(words, 3)} || ' ' || ${pick(words, 7)} || ' ' || ${pick(words, 11)}) || ' ' || i,
                'A story of ' || ${pick(words, 13)} || ' and ' || ${pick(words, 17)} || ' by the ' || ${pick(words, 19)} || '.',
                1950 + (hashint4(i * 23) & 2147483647) % 76,
                array[${pick(genres, 29)}, ${pick(genres, 31)}],
                array[${pick(languages, 37)}],
                case when i % 20 = 0 then 'draft' else 'published' end::title_status,
                ((hashint4(i * 41) & 2147483647) % 100000) / 100.0,
                now() - ((hashint4(i * 43) & 2147483647) % 3650) * interval '1 day'
           from generate_series(${from}, ${to}) as i
         on conflict (slug) do nothing`,
      ),
      sql.query(
        `insert into seasons (title_id, number)
         select t.id, s from titles t, generate_series(1, 2) s
          where t.kind = 'series' and t.slug like 'large-%' and substr(t.slug, 7)::int between ${from} and ${to}
         on conflict do nothing`,
      ),
      sql.query(
        `insert into episodes (title_id, season_number, episode_number, name)
         select t.id, s, e, 'Episode ' || e from titles t, generate_series(1, 2) s, generate_series(1, 8) e
          where t.kind = 'series' and t.slug like 'large-%' and substr(t.slug, 7)::int between ${from} and ${to}
         on conflict do nothing`,
      ),
    ]);
    process.stderr.write(`[seed:large] titles up to ${to}\n`);
  }
  await sql.query("analyze titles");
  await sql.query("analyze seasons");
  await sql.query("analyze episodes");
}

/** The SQL a service call sends, captured by drizzle's logger, then run under EXPLAIN ANALYZE. */
async function explain(label: string, call: (db: Database) => Promise<unknown>) {
  const sent: { query: string; params: unknown[] }[] = [];
  const db = drizzle({
    client: sql,
    schema,
    casing: "snake_case",
    logger: { logQuery: (query, params) => void sent.push({ query, params }) },
  }) as Database;
  await call(db);
  const lines: string[] = [`## ${label}`];
  for (const q of sent) {
    const rows = (await sql.query(`explain (analyze, buffers, costs off, summary on) ${q.query}`, q.params as never[])) as {
      "QUERY PLAN": string;
    }[];
    const plan = rows.map((r) => r["QUERY PLAN"]);
    const time = plan.find((l) => l.startsWith("Execution Time"))?.replace("Execution Time: ", "") ?? "?";
    const scans = [
      ...new Set(
        plan.flatMap(
          (l) => l.match(/Seq Scan on \w+|Index (Only )?Scan (Backward )?using \w+ on \w+|Bitmap (Heap|Index) Scan on \w+/g) ?? [],
        ),
      ),
    ];
    lines.push(`- ${time}: ${scans.join("; ")}`);
    lines.push(...plan.map((l) => `    ${l}`));
  }
  return { label, lines };
}

if (!opts["explain-only"]) await seed();

const base: PublicTitleQuery = { limit: 20 };
const deep = async (db: Database, sort: PublicTitleQuery["sort"]) => {
  // Ten pages in: the keyset cursor, not an offset.
  let cursor: string | undefined;
  for (let i = 0; i < 10; i++) cursor = (await searchTitles(db, { ...base, sort, cursor })).nextCursor ?? undefined;
  return cursor;
};
const plans = [];
for (const sort of ["popularity", "name", "year", "newest"] as const) {
  plans.push(await explain(`sort=${sort}, first page`, (db) => searchTitles(db, { ...base, sort })));
  const cursor = await deep(drizzle({ client: sql, schema, casing: "snake_case" }) as Database, sort);
  plans.push(await explain(`sort=${sort}, page 11 (keyset)`, (db) => searchTitles(db, { ...base, sort, cursor })));
}
plans.push(await explain("genre=thriller (popularity)", (db) => searchTitles(db, { ...base, genre: "thriller" })));
plans.push(await explain("language=ja, kind=series (popularity)", (db) => searchTitles(db, { ...base, language: "ja", kind: "series" })));
plans.push(await explain("years 1990–1999 (popularity)", (db) => searchTitles(db, { ...base, yearFrom: 1990, yearTo: 1999 })));
plans.push(await explain('q="lantern harbor" (relevance)', (db) => searchTitles(db, { ...base, q: "lantern harbor" })));
plans.push(await explain('q="lantrn" (a typo, relevance)', (db) => searchTitles(db, { ...base, q: "lantrn" })));
plans.push(await explain("a series' page (detail with seasons and episodes)", (db) => publishedTitleDetail(db, "large-105")));

const out = plans.flatMap((p) => p.lines).join("\n");
const dir = resolve(import.meta.dirname, "../.local/bench");
mkdirSync(dir, { recursive: true });
writeFileSync(resolve(dir, "explain.txt"), `${out}\n`);
console.log(plans.map((p) => p.lines.filter((l) => l.startsWith("- ") || l.startsWith("## ")).join("\n")).join("\n"));
console.log(`\nwhole plans: .local/bench/explain.txt`);
