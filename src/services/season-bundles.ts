// Asking a season's SeasonBundle object for its bundle, from the HTTP routes.
import type { Database } from "../adapters/db";
import { type RequestOutcome, type SeasonBundle, seasonBundleStub } from "../durable/season-bundle";
import { AppError } from "../lib/errors";
import { seasonExists } from "./bundles";

export async function requireSeason(db: Database, titleId: string, season: number): Promise<void> {
  if (!(await seasonExists(db, titleId, season))) throw new AppError("NOT_FOUND", `No season ${season} for this title.`);
}

export async function requestBuild(
  ns: DurableObjectNamespace<SeasonBundle>,
  ref: { titleId: string; seasonNumber: number },
  opts: { force: boolean; requestedBy: string },
): Promise<RequestOutcome> {
  return seasonBundleStub(ns, ref).request(ref, opts);
}

export function seasonStatus(ns: DurableObjectNamespace<SeasonBundle>, ref: { titleId: string; seasonNumber: number }) {
  return seasonBundleStub(ns, ref).status(ref);
}

export const statusUrl = (titleId: string, season: number) => `/api/v1/delivery/bundle-status?title_id=${titleId}&season_number=${season}`;
