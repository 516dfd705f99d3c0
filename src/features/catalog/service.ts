// Titles, seasons and episodes: the admin side (every state, every write audited in the same
// batch) and the public side (published only, searchable, keyset-paginated).
import { and, asc, count, eq, inArray, ne, type SQL, sql } from "drizzle-orm";
import { bundles, episodes, mediaAssets, seasons, titles } from "../../db/schema";
import { decodeCursor, encodeCursor } from "../../lib/cursor";
import { AppError } from "../../lib/errors";
import { isEmptyPatch } from "../../lib/patch";
import type { Database } from "../../platform/db";
import { type AuditContext, audited, auditInsert } from "../audit/service";

export type Title = typeof titles.$inferSelect;
export type TitleInsert = typeof titles.$inferInsert;
export type Season = typeof seasons.$inferSelect;
export type Episode = typeof episodes.$inferSelect;
export type TitleStatus = Title["status"];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function slugify(name: string, year?: number | null): string {
  const base = name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 80);
  return [base || "title", year ?? null].filter(Boolean).join("-");
}

const pgCode = (e: unknown) => {
  const x = e as { code?: string; cause?: { code?: string; constraint?: string }; constraint?: string };
  return { code: x?.cause?.code ?? x?.code, constraint: x?.cause?.constraint ?? x?.constraint };
};

// ---------------------------------------------------------------- admin: titles

export type TitleFields = Omit<TitleInsert, "id" | "status" | "search" | "createdAt" | "updatedAt">;

export async function createTitle(
  db: Database,
  input: Omit<TitleFields, "slug"> & { slug?: string | undefined },
  audit: AuditContext,
): Promise<Title> {
  const id = crypto.randomUUID();
  const slug = input.slug ?? slugify(input.name, input.year);
  try {
    const write = db
      .insert(titles)
      .values({ ...input, id, slug, status: "draft" })
      .returning();
    const rows = await audited(db, write, audit, "title.create", ["title", id], { slug, kind: input.kind });
    return rows[0] as Title;
  } catch (e) {
    if (pgCode(e).code === "23505") throw new AppError("CONFLICT", `A title with slug "${slug}" already exists.`);
    throw e;
  }
}

export async function getTitle(db: Database, id: string): Promise<Title> {
  const [t] = UUID.test(id) ? await db.select().from(titles).where(eq(titles.id, id)).limit(1) : [];
  if (!t) throw new AppError("NOT_FOUND", `No title with id ${id}.`);
  return t;
}

export async function updateTitle(db: Database, id: string, patch: Partial<TitleFields>, audit: AuditContext): Promise<Title> {
  const current = await getTitle(db, id);
  if (isEmptyPatch(patch)) return current;
  try {
    const write = db.update(titles).set(patch).where(eq(titles.id, id)).returning();
    const rows = await audited(db, write, audit, "title.update", ["title", id], { fields: Object.keys(patch) });
    return rows[0] as Title;
  } catch (e) {
    if (pgCode(e).code === "23505") throw new AppError("CONFLICT", `A title with slug "${patch.slug}" already exists.`);
    throw e;
  }
}

export async function setTitleStatus(
  db: Database,
  id: string,
  status: TitleStatus,
  audit: AuditContext,
  details: Record<string, unknown> = {},
) {
  await getTitle(db, id);
  const write = db.update(titles).set({ status }).where(eq(titles.id, id)).returning();
  const rows = await audited(
    db,
    write,
    audit,
    `title.${status === "published" ? "publish" : status === "draft" ? "unpublish" : "archive"}`,
    ["title", id],
    details,
  );
  return rows[0] as Title;
}

/** What depends on a title (or on one of its seasons/episodes): deletion is refused while any does, unless forced. */
async function dependents(db: Database, where: { titleId: string; episodeIds?: string[] }) {
  const assetWhere = where.episodeIds
    ? where.episodeIds.length
      ? inArray(mediaAssets.episodeId, where.episodeIds)
      : sql`false`
    : eq(mediaAssets.titleId, where.titleId);
  const [[a], [b]] = await Promise.all([
    db.select({ n: count() }).from(mediaAssets).where(assetWhere),
    where.episodeIds ? Promise.resolve([{ n: 0 }]) : db.select({ n: count() }).from(bundles).where(eq(bundles.titleId, where.titleId)),
  ]);
  return { assets: a?.n ?? 0, bundles: b?.n ?? 0 };
}

export async function deleteTitle(db: Database, id: string, force: boolean, audit: AuditContext): Promise<{ storageKeys: string[] }> {
  const t = await getTitle(db, id);
  const deps = await dependents(db, { titleId: id });
  if ((deps.assets > 0 || deps.bundles > 0) && !force) {
    throw new AppError(
      "CONFLICT",
      `Title has ${deps.assets} media asset(s) and ${deps.bundles} bundle(s); delete them first or pass force=true.`,
      {
        dependents: deps,
      },
    );
  }
  const keys = [
    ...(await db.select({ k: mediaAssets.storageKey }).from(mediaAssets).where(eq(mediaAssets.titleId, id))).map((r) => r.k),
    ...(await db.select({ k: bundles.storageKey, m: bundles.manifestKey }).from(bundles).where(eq(bundles.titleId, id))).flatMap((r) =>
      r.m ? [r.k, r.m] : [r.k],
    ),
  ];
  const write = db.delete(titles).where(eq(titles.id, id));
  await audited(db, write, audit, "title.delete", ["title", id], {
    slug: t.slug,
    forced: force,
    ...deps,
  });
  return { storageKeys: keys };
}

export interface AdminTitleQuery {
  status?: TitleStatus | undefined;
  kind?: Title["kind"] | undefined;
  q?: string | undefined;
  limit: number;
  cursor?: string | undefined;
}

export async function listTitlesAdmin(db: Database, q: AdminTitleQuery) {
  const where: SQL[] = [];
  if (q.status) where.push(eq(titles.status, q.status));
  if (q.kind) where.push(eq(titles.kind, q.kind));
  if (q.q) where.push(sql`(${titles.name} ilike ${`%${q.q}%`} or ${titles.slug} ilike ${`%${q.q}%`})`);
  if (q.cursor) {
    const [createdAt, id] = decodeCursor(q.cursor, "admin-newest", 2);
    where.push(sql`(${titles.createdAt}, ${titles.id}) < (${createdAt}::timestamptz, ${id}::uuid)`);
  }
  const rows = await db
    .select({ t: titles, createdAtText: sql<string>`${titles.createdAt}::text` })
    .from(titles)
    .where(where.length ? and(...where) : undefined)
    .orderBy(sql`${titles.createdAt} desc, ${titles.id} desc`)
    .limit(q.limit + 1);
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  return {
    items: page.map((r) => r.t),
    nextCursor: rows.length > q.limit && last ? encodeCursor("admin-newest", [last.createdAtText, last.t.id]) : null,
  };
}

// ---------------------------------------------------------------- admin: seasons and episodes

export async function getSeasonsWithEpisodes(db: Database, titleId: string) {
  const [ss, es] = await Promise.all([
    db.select().from(seasons).where(eq(seasons.titleId, titleId)).orderBy(asc(seasons.number)),
    db.select().from(episodes).where(eq(episodes.titleId, titleId)).orderBy(asc(episodes.seasonNumber), asc(episodes.episodeNumber)),
  ]);
  return ss.map((s) => ({ ...s, episodes: es.filter((e) => e.seasonNumber === s.number) }));
}

async function requireSeries(db: Database, titleId: string): Promise<Title> {
  const t = await getTitle(db, titleId);
  if (t.kind !== "series") throw new AppError("UNPROCESSABLE", "Only a series has seasons and episodes.");
  return t;
}

export async function createSeason(
  db: Database,
  titleId: string,
  input: { number: number; name?: string | null; overview?: string | null },
  audit: AuditContext,
) {
  await requireSeries(db, titleId);
  try {
    const write = db
      .insert(seasons)
      .values({ titleId, ...input })
      .returning();
    const rows = await audited(db, write, audit, "season.create", ["title", titleId], { season: input.number });
    return rows[0] as Season;
  } catch (e) {
    if (pgCode(e).code === "23505") throw new AppError("CONFLICT", `Season ${input.number} already exists.`);
    throw e;
  }
}

/** One season of a title; 404 when there is none. */
async function getSeason(db: Database, titleId: string, number: number): Promise<Season> {
  const [existing] = await db
    .select()
    .from(seasons)
    .where(and(eq(seasons.titleId, titleId), eq(seasons.number, number)))
    .limit(1);
  if (!existing) throw new AppError("NOT_FOUND", `No season ${number} for title ${titleId}.`);
  return existing;
}

export async function updateSeason(
  db: Database,
  titleId: string,
  number: number,
  patch: { name?: string | null; overview?: string | null },
  audit: AuditContext,
) {
  const existing = await getSeason(db, titleId, number);
  if (isEmptyPatch(patch)) return existing;
  const write = db
    .update(seasons)
    .set(patch)
    .where(and(eq(seasons.titleId, titleId), eq(seasons.number, number)))
    .returning();
  const rows = await audited(db, write, audit, "season.update", ["title", titleId], { season: number, fields: Object.keys(patch) });
  return rows[0] as Season;
}

export async function deleteSeason(db: Database, titleId: string, number: number, force: boolean, audit: AuditContext) {
  await getSeason(db, titleId, number);
  const eps = await db
    .select({ id: episodes.id })
    .from(episodes)
    .where(and(eq(episodes.titleId, titleId), eq(episodes.seasonNumber, number)));
  const deps = await dependents(db, { titleId, episodeIds: eps.map((e) => e.id) });
  const bundleCount =
    (
      await db
        .select({ n: count() })
        .from(bundles)
        .where(and(eq(bundles.titleId, titleId), eq(bundles.seasonNumber, number)))
    )[0]?.n ?? 0;
  if ((deps.assets > 0 || bundleCount > 0) && !force) {
    throw new AppError(
      "CONFLICT",
      `Season ${number} has ${deps.assets} media asset(s) and ${bundleCount} bundle(s); pass force=true to delete anyway.`,
    );
  }
  await db.batch([
    db.delete(bundles).where(and(eq(bundles.titleId, titleId), eq(bundles.seasonNumber, number))),
    db.delete(seasons).where(and(eq(seasons.titleId, titleId), eq(seasons.number, number))),
    auditInsert(db, audit, {
      action: "season.delete",
      resourceType: "title",
      resourceId: titleId,
      details: { season: number, forced: force },
    }),
  ]);
}

export type EpisodeFields = Pick<
  typeof episodes.$inferInsert,
  "seasonNumber" | "episodeNumber" | "name" | "overview" | "runtimeMinutes" | "airDate"
>;

export async function createEpisode(db: Database, titleId: string, input: EpisodeFields, audit: AuditContext): Promise<Episode> {
  await requireSeries(db, titleId);
  const id = crypto.randomUUID();
  try {
    const [, rows] = await db.batch([
      // The season is made on first use, so an operator can add episodes straight away.
      db.insert(seasons).values({ titleId, number: input.seasonNumber }).onConflictDoNothing(),
      db
        .insert(episodes)
        .values({ ...input, id, titleId })
        .returning(),
      auditInsert(db, audit, {
        action: "episode.create",
        resourceType: "episode",
        resourceId: id,
        details: { title_id: titleId, season: input.seasonNumber, episode: input.episodeNumber },
      }),
    ]);
    return rows[0] as Episode;
  } catch (e) {
    if (pgCode(e).code === "23505") throw new AppError("CONFLICT", `Episode S${input.seasonNumber}E${input.episodeNumber} already exists.`);
    throw e;
  }
}

export async function getEpisode(db: Database, id: string): Promise<Episode> {
  const [e] = UUID.test(id) ? await db.select().from(episodes).where(eq(episodes.id, id)).limit(1) : [];
  if (!e) throw new AppError("NOT_FOUND", `No episode with id ${id}.`);
  return e;
}

export async function updateEpisode(db: Database, id: string, patch: Partial<Omit<EpisodeFields, "seasonNumber">>, audit: AuditContext) {
  const ep = await getEpisode(db, id);
  if (isEmptyPatch(patch)) return ep;
  try {
    const write = db.update(episodes).set(patch).where(eq(episodes.id, id)).returning();
    const rows = await audited(db, write, audit, "episode.update", ["episode", id], { title_id: ep.titleId, fields: Object.keys(patch) });
    return rows[0] as Episode;
  } catch (e) {
    if (pgCode(e).code === "23505") throw new AppError("CONFLICT", `Episode S${ep.seasonNumber}E${patch.episodeNumber} already exists.`);
    throw e;
  }
}

export async function deleteEpisode(
  db: Database,
  id: string,
  force: boolean,
  audit: AuditContext,
): Promise<{ storageKeys: string[]; titleId: string }> {
  const ep = await getEpisode(db, id);
  const deps = await dependents(db, { titleId: ep.titleId, episodeIds: [id] });
  if (deps.assets > 0 && !force)
    throw new AppError("CONFLICT", `Episode has ${deps.assets} media asset(s); pass force=true to delete anyway.`);
  const keys = (await db.select({ k: mediaAssets.storageKey }).from(mediaAssets).where(eq(mediaAssets.episodeId, id))).map((r) => r.k);
  const write = db.delete(episodes).where(eq(episodes.id, id));
  await audited(db, write, audit, "episode.delete", ["episode", id], {
    title_id: ep.titleId,
    forced: force,
  });
  return { storageKeys: keys, titleId: ep.titleId };
}

// ---------------------------------------------------------------- public discovery

export const PUBLIC_SORTS = ["relevance", "popularity", "name", "year", "newest"] as const;
export type PublicSort = (typeof PUBLIC_SORTS)[number];

export interface PublicTitleQuery {
  q?: string | undefined;
  kind?: Title["kind"] | undefined;
  genre?: string | undefined;
  language?: string | undefined;
  yearFrom?: number | undefined;
  yearTo?: number | undefined;
  sort?: PublicSort | undefined;
  limit: number;
  cursor?: string | undefined;
}

/** Which parts a search has: its SQL text depends on these only, its values go in as parameters. */
interface SearchShape {
  text: boolean;
  kind: boolean;
  genre: boolean;
  language: boolean;
  yearFrom: boolean;
  yearTo: boolean;
  sort: PublicSort;
  cursor: boolean;
}

const ph = sql.placeholder;

function prepareSearch(db: Database, shape: SearchShape) {
  const text = ph("text");
  const tsq = sql`websearch_to_tsquery('simple', ${text})`;
  const tsqEn = sql`websearch_to_tsquery('english', ${text})`;
  const rank = shape.text
    ? sql<number>`round((ts_rank(${titles.search}, ${tsq}) + ts_rank(${titles.search}, ${tsqEn}) + similarity(${titles.name}, ${text}))::numeric, 6)::float8`
    : sql<number>`0`;

  const where: SQL[] = [eq(titles.status, "published")];
  if (shape.text) {
    where.push(
      // `%` (pg_trgm's similarity above pg_trgm.similarity_threshold, 0.3 by default) rather than
      // similarity() > x: the operator can use the trigram index, the function reads every row.
      sql`(${titles.search} @@ ${tsq} or ${titles.search} @@ ${tsqEn} or ${titles.name} % ${text} or ${titles.name} ilike ${ph("like")})`,
    );
  }
  if (shape.kind) where.push(eq(titles.kind, ph("kind")));
  if (shape.genre) where.push(sql`${titles.genres} @> array[${ph("genre")}]::text[]`);
  if (shape.language) where.push(sql`${titles.languages} @> array[${ph("language")}]::text[]`);
  if (shape.yearFrom) where.push(sql`${titles.year} >= ${ph("yearFrom")}`);
  if (shape.yearTo) where.push(sql`${titles.year} <= ${ph("yearTo")}`);

  // Each sort is a total order ending in the id, so the keyset never skips or repeats a row,
  // however many titles are added meanwhile. Nullable keys are coalesced to a sentinel.
  // Each has an index on its exact expressions (db/schema/titles.ts). `newest` orders by the
  // timestamp itself (text of a timestamptz is not immutable, so not indexable) and carries its
  // exact text in the cursor, read back as a timestamptz.
  const orders: Record<PublicSort, { key: SQL; dir: "asc" | "desc"; cursorValue?: SQL; fromCursor?: (v: SQL) => SQL }> = {
    relevance: { key: rank, dir: "desc" },
    popularity: { key: sql`${titles.popularity}::float8`, dir: "desc" },
    name: { key: sql`lower(${titles.name})`, dir: "asc" },
    year: { key: sql`coalesce(${titles.year}, 0)::int`, dir: "desc" },
    newest: {
      key: sql`${titles.createdAt}`,
      dir: "desc",
      cursorValue: sql`${titles.createdAt}::text`,
      fromCursor: (v) => sql`${v}::timestamptz`,
    },
  };
  const order = orders[shape.sort];
  const keyExprs = [order.key, sql`${titles.id}::text`];
  if (shape.cursor) {
    const cmp = order.dir === "desc" ? sql`<` : sql`>`;
    const first = order.fromCursor ? order.fromCursor(sql`${ph("afterKey")}`) : sql`${ph("afterKey")}`;
    where.push(sql`(${sql.join(keyExprs, sql`, `)}) ${cmp} (${first}, ${ph("afterId")})`);
  }
  return db
    .select({ t: titles, k0: sql<string | number>`${order.cursorValue ?? order.key}`, rank })
    .from(titles)
    .where(and(...where))
    .orderBy(
      sql`${sql.join(
        keyExprs.map((k) => sql`${k} ${sql.raw(order.dir)}`),
        sql`, `,
      )}`,
    )
    .limit(ph("limit"))
    .prepare("search_titles");
}

/**
 * Each search shape's statement, built once per database client: drizzle otherwise builds the
 * SQL text on every call, about an eighth of a catalog miss's CPU in a profile. At most
 * 2^7 × 5 shapes.
 */
const searchStatements = new WeakMap<Database, Map<string, ReturnType<typeof prepareSearch>>>();

export async function searchTitles(db: Database, q: PublicTitleQuery) {
  const text = q.q?.trim() || undefined;
  const sort: PublicSort = q.sort ?? (text ? "relevance" : "popularity");
  if (sort === "relevance" && !text) {
    throw new AppError("VALIDATION_FAILED", "query.sort: relevance needs a search query (q)", {
      errors: [{ path: "query.sort", message: "relevance needs a search query (q)" }],
    });
  }
  const after = q.cursor ? decodeCursor(q.cursor, sort, 2) : null;
  const shape: SearchShape = {
    text: text !== undefined,
    kind: q.kind !== undefined,
    genre: q.genre !== undefined,
    language: q.language !== undefined,
    yearFrom: q.yearFrom !== undefined,
    yearTo: q.yearTo !== undefined,
    sort,
    cursor: after !== null,
  };
  let statements = searchStatements.get(db);
  if (!statements) {
    statements = new Map();
    searchStatements.set(db, statements);
  }
  const key = JSON.stringify(shape);
  let statement = statements.get(key);
  if (!statement) {
    statement = prepareSearch(db, shape);
    statements.set(key, statement);
  }
  const rows = await statement.execute({
    text,
    like: text === undefined ? undefined : `%${text}%`,
    kind: q.kind,
    genre: q.genre?.toLowerCase(),
    language: q.language?.toLowerCase(),
    yearFrom: q.yearFrom,
    yearTo: q.yearTo,
    afterKey: after?.[0],
    afterId: after?.[1],
    limit: q.limit + 1,
  });
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  return {
    sort,
    items: page.map((r) => ({ title: r.t, score: text ? r.rank : null })),
    nextCursor: rows.length > q.limit && last ? encodeCursor(sort, [last.k0, last.t.id]) : null,
  };
}

/**
 * A published title's page: the title, its seasons with their episodes, and its uploaded artwork,
 * in one SQL statement (drizzle's relational query aggregates the children as JSON).
 */
export async function publishedTitleDetail(db: Database, idOrSlug: string) {
  const t = await db.query.titles.findFirst({
    where: publishedTitleWhere(idOrSlug),
    with: {
      seasons: { orderBy: asc(seasons.number) },
      episodes: { orderBy: [asc(episodes.seasonNumber), asc(episodes.episodeNumber)] },
      mediaAssets: {
        where: and(eq(mediaAssets.kind, "ARTWORK"), ne(mediaAssets.uploadState, "pending")),
        orderBy: asc(mediaAssets.filename),
        // What the page shows of each; the rest would only swell the aggregated JSON.
        columns: { id: true, label: true, width: true, height: true },
      },
    },
  });
  if (!t) throw noPublishedTitle(idOrSlug);
  const { seasons: ss, episodes: es, mediaAssets: artwork, ...title } = t;
  return { title, seasons: ss.map((s) => ({ ...s, episodes: es.filter((e) => e.seasonNumber === s.number) })), artwork };
}

/** Drafts and archived titles are not found, whichever way they are asked for. */
const publishedTitleWhere = (idOrSlug: string) =>
  and(UUID.test(idOrSlug) ? eq(titles.id, idOrSlug) : eq(titles.slug, idOrSlug.toLowerCase()), eq(titles.status, "published"));
export const noPublishedTitle = (idOrSlug: string) => new AppError("NOT_FOUND", `No published title "${idOrSlug}".`);

/** A published title by id or slug; drafts and archived titles are not found. */
export async function getPublishedTitle(db: Database, idOrSlug: string): Promise<Title> {
  const [t] = await db.select().from(titles).where(publishedTitleWhere(idOrSlug)).limit(1);
  if (!t) throw noPublishedTitle(idOrSlug);
  return t;
}
