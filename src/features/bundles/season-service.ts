// Asking a season's SeasonBundle object for its bundle, from the HTTP routes.

import { and, desc, eq, sql } from "drizzle-orm";
import { bundles, seasons, titles } from "../../db/schema";
import { AppError } from "../../lib/errors";
import type { Database } from "../../platform/db";
import type { AppConfig } from "../../platform/env";
import { underCatalogVersion, type VersionedCacheDeps } from "../catalog/catalog-version";
import { getPublishedTitle, noPublishedTitle } from "../catalog/service";
import { unexpired } from "../delivery/service";
import type { SeasonBundleStatus } from "./contract";
import { type RequestOutcome, type SeasonBundle, seasonBundleStub } from "./season-bundle";
import { activeBundle, activeWhere, type Bundle, seasonExists } from "./service";

export async function requireSeason(db: Database, titleId: string, season: number): Promise<void> {
  if (!(await seasonExists(db, titleId, season))) throw noSeason(season);
}

/** A season of a published title, as the public delivery routes take it: 404 for drafts and unknown seasons. */
export async function publishedSeason(db: Database, titleId: string, seasonNumber: number) {
  const title = await getPublishedTitle(db, titleId);
  await requireSeason(db, title.id, seasonNumber);
  return { title, ref: { titleId: title.id, seasonNumber } };
}

/** A season's current bundle as presigning needs it (plain JSON: it is kept in the edge cache). */
export interface DeliverableBundle {
  /** The bundle's id: the version its URL carries (a rebuild at the same key is another URL at the CDN). */
  id: string;
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

export const noSeason = (season: number) => new AppError("NOT_FOUND", `No season ${season} for this title.`);

/**
 * What bundle-url needs, in one query kept under the catalog version: the published title, whether
 * the season exists, and its current bundle. A warm bundle-url asks no database; a publish, an
 * unpublish or a finished build moves the version on, and a bundle's expiry is checked here on
 * every use. 404 for drafts and unknown seasons, as publishedSeason.
 */
export async function deliverableSeason(
  deps: VersionedCacheDeps & { db: Database },
  titleId: string,
  seasonNumber: number,
): Promise<{ title: { id: string; slug: string }; bundle: DeliverableBundle | null }> {
  const found = await underCatalogVersion(deps, "season-delivery", [titleId, seasonNumber], () =>
    querySeasonDelivery(deps.db, titleId, seasonNumber, deps.clock.now()),
  );
  if (!found.title) throw noPublishedTitle(titleId);
  if (!found.seasonExists) throw noSeason(seasonNumber);
  const b = found.bundle;
  return { title: found.title, bundle: b && unexpired(b.expiresAt, deps.clock) ? b : null };
}

async function querySeasonDelivery(db: Database, titleId: string, seasonNumber: number, now: Date): Promise<SeasonDelivery> {
  const current = db
    .select({
      bundleId: bundles.id,
      storageKey: bundles.storageKey,
      sizeBytes: bundles.sizeBytes,
      sha256: bundles.sha256,
      itemCount: bundles.itemCount,
      expiresAt: bundles.expiresAt,
    })
    .from(bundles)
    .where(and(eq(bundles.titleId, titles.id), eq(bundles.seasonNumber, seasonNumber), activeWhere(now)))
    .orderBy(desc(bundles.createdAt))
    .limit(1)
    .as("current");
  const [r] = await db
    .select({
      id: titles.id,
      slug: titles.slug,
      seasonExists: sql<boolean>`exists (select 1 from ${seasons} where ${seasons.titleId} = ${titles.id} and ${seasons.number} = ${seasonNumber})`,
      bundleId: current.bundleId,
      storageKey: current.storageKey,
      sizeBytes: current.sizeBytes,
      sha256: current.sha256,
      itemCount: current.itemCount,
      expiresAt: current.expiresAt,
    })
    .from(titles)
    .leftJoinLateral(current, sql`true`)
    .where(and(eq(titles.id, titleId), eq(titles.status, "published")));
  if (!r) return { title: null, seasonExists: false, bundle: null };
  const { id, slug, seasonExists, bundleId, storageKey, expiresAt, ...rest } = r;
  return {
    title: { id, slug },
    seasonExists,
    bundle:
      storageKey === null || bundleId === null
        ? null
        : { ...rest, id: bundleId, storageKey, seasonNumber, expiresAt: expiresAt?.toISOString() ?? null },
  };
}

/**
 * Asks the season's object for a build. Admin rebuilds (force) skip the cooldown and the build gate
 * (the job service's own cap still queues them). A public build needs a slot under
 * BUNDLE_MAX_CONCURRENT_BUILDS and the daily budget, and `client` (the caller's network) within its
 * share of both. A refusal throws: 429 for the cooldown, a failed build's backoff, a budget or the
 * client's share of slots, 503 when every slot is taken, 409 when the season has nothing to build.
 */
export async function requestBuild(
  ns: DurableObjectNamespace<SeasonBundle>,
  config: AppConfig,
  ref: { titleId: string; seasonNumber: number },
  opts: { force: true; requestedBy: string } | { force: false; requestedBy: string; client: string },
): Promise<RequestOutcome> {
  const outcome = await seasonBundleStub(ns, ref).request(ref, {
    force: opts.force,
    requestedBy: opts.requestedBy,
    gate: opts.force
      ? null
      : {
          maxConcurrent: config.BUNDLE_MAX_CONCURRENT_BUILDS,
          dailyBudget: config.BUNDLE_DAILY_BUILD_BUDGET,
          client: {
            id: opts.client,
            maxConcurrent: config.BUNDLE_CLIENT_MAX_CONCURRENT_BUILDS,
            dailyBudget: config.BUNDLE_CLIENT_DAILY_BUILD_BUDGET,
          },
        },
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
    case "client_budget":
      throw new AppError("RATE_LIMITED", `Your network has started its share of season builds today; more may start in ${wait} s.`, {
        headers,
      });
    case "client_busy":
      throw new AppError("RATE_LIMITED", `Your network's builds hold all the build slots it may use; try again in ${wait} s.`, {
        headers,
      });
    case "nothing":
      throw new AppError("CONFLICT", "This season has no episode with an uploaded downloadable file: there is nothing to put in a ZIP.");
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
