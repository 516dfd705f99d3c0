// Asking a season's SeasonBundle object for its bundle, from the HTTP routes.

import { AppError } from "../../lib/errors";
import type { Database } from "../../platform/db";
import type { AppConfig } from "../../platform/env";
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
