// Asking a season's SeasonBundle object for its bundle, from the HTTP routes.

import { sql } from "drizzle-orm";
import { AppError } from "../../lib/errors";
import type { Database } from "../../platform/db";
import type { EdgeCache } from "../../platform/edge-cache";
import type { AppConfig } from "../../platform/env";
import { type CatalogVersionDeps, underCatalogVersion } from "../catalog/catalog-version";
import { getPublishedTitle } from "../catalog/service";
import type { SeasonBundleStatus } from "./contract";
import { type RequestOutcome, type SeasonBundle, seasonBundleStub } from "./season-bundle";
import { activeBundle, type Bundle, seasonExists } from "./service";

export async function requireSeason(db: Database, titleId: string, season: number): Promise<void> {
  if (!(await seasonExists(db, titleId, season))) throw new AppError("NOT_FOUND", `No season ${season} for this title.`);
}

/** A season of a published title, as the public delivery routes take it: 404 for drafts and unknown seasons. */
export async function publishedSeason(db: Database, titleId: string, seasonNumber: number) {
  const title = await getPublishedTitle(db, titleId);
  await requireSeason(db, title.id, seasonNumber);
  return { title, ref: { titleId: title.id, seasonNumber } };
}

/** A season's current bundle as presigning needs it (plain JSON: it is kept in the edge cache). */
export interface DeliverableBundle {
  storageKey: string;
  seasonNumber: number;
  sizeBytes: number | null;
  sha256: string | null;
  itemCount: number | null;
  /** ISO; checked on every use, cached or not. */
  expiresAt: string | null;
}

interface SeasonDelivery {
  title: { id: string; slug: string } | null;
  seasonExists: boolean;
  bundle: DeliverableBundle | null;
}

/**
 * What bundle-url needs, in one query kept under the catalog version: the published title, whether
 * the season exists, and its current bundle. A warm bundle-url asks no database; a publish, an
 * unpublish or a finished build moves the version on, and a bundle's expiry is checked here on
 * every use. 404 for drafts and unknown seasons, as publishedSeason.
 */
export async function deliverableSeason(
  deps: CatalogVersionDeps & { db: Database; edgeCache: EdgeCache },
  titleId: string,
  seasonNumber: number,
): Promise<{ title: { id: string; slug: string }; bundle: DeliverableBundle | null }> {
  const found = await underCatalogVersion(deps, "season-delivery", `${titleId}\n${seasonNumber}`, () =>
    querySeasonDelivery(deps.db, titleId, seasonNumber),
  );
  if (!found.title) throw new AppError("NOT_FOUND", `No published title "${titleId}".`);
  if (!found.seasonExists) throw new AppError("NOT_FOUND", `No season ${seasonNumber} for this title.`);
  const b = found.bundle;
  const live = b && (b.expiresAt === null || Date.parse(b.expiresAt) > deps.clock.now().getTime());
  return { title: found.title, bundle: live ? b : null };
}

async function querySeasonDelivery(db: Database, titleId: string, seasonNumber: number): Promise<SeasonDelivery> {
  const { rows } = await db.execute<{
    id: string;
    slug: string;
    season_exists: boolean;
    storage_key: string | null;
    size_bytes: string | null;
    sha256: string | null;
    item_count: number | null;
    expires_at: string | null;
  }>(sql`
    select t.id, t.slug, exists (select 1 from seasons s where s.title_id = t.id and s.number = ${seasonNumber}) as season_exists,
           b.storage_key, b.size_bytes::text as size_bytes, b.sha256, b.item_count,
           to_char(b.expires_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as expires_at
      from titles t
      left join lateral (
        select * from bundles b
         where b.title_id = t.id and b.season_number = ${seasonNumber} and b.status = 'ready'
           and (b.expires_at is null or b.expires_at > now())
         order by b.created_at desc limit 1) b on true
     where t.id = ${titleId} and t.status = 'published'`);
  const r = rows[0];
  if (!r) return { title: null, seasonExists: false, bundle: null };
  return {
    title: { id: r.id, slug: r.slug },
    seasonExists: r.season_exists,
    bundle:
      r.storage_key === null
        ? null
        : {
            storageKey: r.storage_key,
            seasonNumber,
            sizeBytes: r.size_bytes === null ? null : Number(r.size_bytes),
            sha256: r.sha256,
            itemCount: r.item_count,
            expiresAt: r.expires_at,
          },
  };
}

/**
 * Asks the season's object for a build. Admin rebuilds (force) skip the cooldown and the daily
 * budget; every build needs a slot under BUNDLE_MAX_CONCURRENT_BUILDS. A refusal throws: 429 for
 * the cooldown, a failed build's backoff and the daily budget, 503 when every slot is taken.
 */
export async function requestBuild(
  ns: DurableObjectNamespace<SeasonBundle>,
  config: AppConfig,
  ref: { titleId: string; seasonNumber: number },
  opts: { force: boolean; requestedBy: string },
): Promise<RequestOutcome> {
  const outcome = await seasonBundleStub(ns, ref).request(ref, {
    ...opts,
    gate: { maxConcurrent: config.BUNDLE_MAX_CONCURRENT_BUILDS, dailyBudget: opts.force ? null : config.BUNDLE_DAILY_BUILD_BUDGET },
  });
  const wait = outcome.retryAfter ?? 1;
  const headers = { "retry-after": String(wait) };
  switch (outcome.refused) {
    case undefined:
      return outcome;
    case "cooldown":
      throw new AppError("RATE_LIMITED", `This season was rebuilt recently; a new rebuild may start in ${wait} s.`, { headers });
    case "failed":
      throw new AppError("RATE_LIMITED", `The last build of this season failed; a new one may start in ${wait} s.`, { headers });
    case "budget":
      throw new AppError("RATE_LIMITED", `Today's budget of season builds is spent; new builds may start in ${wait} s.`, { headers });
    case "busy":
      throw new AppError("AT_CAPACITY", `Every build slot is taken; try again in ${wait} s.`, { headers });
    case "unavailable":
      throw new AppError("DEPENDENCY_UNAVAILABLE", "Builds can't be started right now; try again shortly.", { headers });
  }
}

/**
 * A season's bundle as the API reports it. Whether a bundle is ready is Postgres's answer alone
 * (an active row: ready and unexpired); the SeasonBundle object contributes only how a build is
 * going. So a bundle deleted or expired after its build reads "idle", and one uploaded by an admin
 * reads "ready" though no build ever ran.
 */
export async function seasonBundleView(
  db: Database,
  ns: DurableObjectNamespace<SeasonBundle>,
  ref: { titleId: string; seasonNumber: number },
  now: Date,
): Promise<{ status: SeasonBundleStatus; bundle: Bundle | null }> {
  const [build, bundle] = await Promise.all([seasonBundleStub(ns, ref).status(ref), activeBundle(db, ref.titleId, ref.seasonNumber, now)]);
  const running = build.state === "queued" || build.state === "building";
  const state = running ? build.state : bundle ? "ready" : build.state === "ready" ? "idle" : build.state;
  return { status: { ...build, state }, bundle };
}
