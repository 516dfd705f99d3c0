// /api/v1/delivery/bundle-url, /request-bundle and /bundle-status: a season's ZIP, rebuilt on
// demand when missing or expired (seed: "On-Demand Bundle Rebuild").
import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import * as z from "zod";
import type { AppEnv } from "../../http/context";
import { problemResponse, withLocation } from "../../http/openapi";
import { createRouter } from "../../http/router";
import { body, json } from "../../http/schemas";
import { clientNetwork } from "../../lib/client-network";
import { attachmentDisposition } from "../../lib/content-disposition";
import { AppError } from "../../lib/errors";
import { checkTtl } from "../delivery/service";
import { buildStatusJson, buildStatusSchema, bundleSummaryJson, bundleSummarySchema } from "./contract";
import { instantUrl } from "./routes-instant";
import { type DeliverableBundle, deliverableSeason, publishedSeason, requestBuild, seasonBundleView } from "./season-service";

const tags = ["public: delivery"];
const seasonBody = { title_id: z.uuid(), season_number: z.number().int().min(0).max(9999) };
const signedBundle = z.object({
  url: z.string(),
  expires_at: z.string(),
  size_bytes: z.number().int().nullable(),
  sha256: z.string().nullable(),
  item_count: z.number().int().nullable(),
});
/** Present whenever every file of the season has its checksums recorded: the season's ZIP streamed at once, with ranges. */
const instant = {
  instant_url: z
    .string()
    .nullable()
    .describe("A signed URL of the same ZIP streamed at once (exact length, byte ranges, resume); null until every file is checksummed"),
};
const accepted = withLocation(
  json(
    z.object({ status: buildStatusSchema, status_url: z.string(), ...instant }),
    "Being built: poll status_url (Location), after Retry-After; or start at once from instant_url",
  ),
);
const NO_STORE = { "cache-control": "no-store" };

/** Starts (or joins) a build and answers 202; refusals (cooldown, backoff, budget, capacity) throw. */
async function startBuild(c: Context<AppEnv>, titleId: string, season: number) {
  const outcome = await requestBuild(
    c.env.SEASON_BUNDLE,
    c.var.config,
    { titleId, seasonNumber: season },
    { force: false, requestedBy: c.var.clientIp ? `public:${c.var.clientIp}` : "public", client: clientNetwork(c.var.clientIp) },
  );
  const location = statusUrl(titleId, season);
  const instant_url = await instantUrl(c, titleId, season);
  return c.json({ status: buildStatusJson(outcome.status, "public"), status_url: location, instant_url }, 202, {
    ...NO_STORE,
    location,
    "retry-after": "5",
  });
}

const bundleUrl = createRoute({
  method: "post",
  operationId: "presignBundle",
  path: "/delivery/bundle-url",
  tags,
  summary: "A signed URL of a season's ZIP; when it is missing or expired and rebuild_if_missing, 202 and a rebuild",
  request: {
    ...body(
      z
        .object({ ...seasonBody, ttl_seconds: z.number().int().optional(), rebuild_if_missing: z.boolean().default(false) })
        .meta({ id: "BundleUrlRequest" }),
    ),
  },
  responses: {
    200: json(signedBundle.extend(instant), "Signed (no-store)"),
    202: accepted,
    404: problemResponse("No such published title or season, or no bundle and no rebuild asked for"),
    409: problemResponse("The season has no episode with an uploaded downloadable file: nothing to build"),
    429: problemResponse(
      "In the rebuild cooldown, a failed build's backoff, today's build budget or this network's share spent, or this network's builds hold its share of slots; see Retry-After",
    ),
    503: problemResponse("Every build slot is taken (AT_CAPACITY); see Retry-After"),
  },
});

const requestBundle = createRoute({
  method: "post",
  operationId: "requestBundle",
  path: "/delivery/request-bundle",
  tags,
  summary: "Ask for a season's ZIP without knowing its key: ready (200) or being built (202)",
  request: { ...body(z.object(seasonBody).meta({ id: "RequestBundle" })) },
  responses: {
    200: json(z.object({ status: buildStatusSchema, bundle: bundleSummarySchema, ...instant }), "Ready"),
    202: accepted,
    404: problemResponse("No such published title or season"),
    409: problemResponse("The season has no episode with an uploaded downloadable file: nothing to build"),
    429: problemResponse(
      "In the rebuild cooldown, a failed build's backoff, today's build budget or this network's share spent, or this network's builds hold its share of slots; see Retry-After",
    ),
    503: problemResponse("Every build slot is taken (AT_CAPACITY); see Retry-After"),
  },
});

const bundleStatus = createRoute({
  method: "get",
  operationId: "getBundleStatus",
  path: "/delivery/bundle-status",
  tags,
  summary: "A season's bundle build status; with presign=true and a ready bundle, its signed URL",
  request: {
    query: z.object({
      title_id: z.uuid(),
      season_number: z.coerce.number().int().min(0).max(9999),
      presign: z.enum(["true", "false"]).optional(),
    }),
  },
  responses: {
    200: json(
      z.object({
        status: buildStatusSchema,
        bundle: bundleSummarySchema.nullable(),
        download: signedBundle.nullable(),
        ...instant,
      }),
      "Status (no-store)",
    ),
    404: problemResponse("No such published title or season"),
  },
});

/** Where a season's build status is polled: this file's bundle-status route (services build no URLs). */
export const statusUrl = (titleId: string, season: number) =>
  `/api/v1${bundleStatus.path}?title_id=${encodeURIComponent(titleId)}&season_number=${season}`;

/** A signed download of a season's active bundle, saved as `{slug}-S01.zip`. */
async function signBundle(
  c: Context<AppEnv>,
  title: { slug: string },
  bundle: Omit<DeliverableBundle, "expiresAt">,
  expiresIn: number,
): Promise<z.infer<typeof signedBundle>> {
  const filename = `${title.slug}-S${String(bundle.seasonNumber).padStart(2, "0")}.zip`;
  const s = await c.var.signer.signGet(bundle.storageKey, {
    expiresIn,
    disposition: attachmentDisposition(filename),
    contentType: "application/zip",
    version: bundle.id,
  });
  return {
    url: s.url,
    expires_at: s.expiresAt.toISOString(),
    size_bytes: bundle.sizeBytes,
    sha256: bundle.sha256,
    item_count: bundle.itemCount,
  };
}

export const bundleDeliveryRoutes = createRouter()
  .openapi(bundleUrl, async (c) => {
    const b = c.req.valid("json");
    const ttl = checkTtl(c.var.config, b.ttl_seconds, "json.ttl_seconds");
    const { title: t, bundle: active } = await deliverableSeason(c.var, b.title_id, b.season_number);
    if (active)
      return c.json({ ...(await signBundle(c, t, active, ttl)), instant_url: await instantUrl(c, t.id, b.season_number) }, 200, NO_STORE);
    if (!b.rebuild_if_missing)
      throw new AppError("NOT_FOUND", "This season has no current bundle; ask with rebuild_if_missing=true to build one.");
    return startBuild(c, t.id, b.season_number);
  })
  .openapi(requestBundle, async (c) => {
    const b = c.req.valid("json");
    const { ref } = await publishedSeason(c.var.db, b.title_id, b.season_number);
    const { status, bundle } = await seasonBundleView(c.var.db, c.env.SEASON_BUNDLE, ref, c.var.clock.now());
    if (bundle)
      return c.json(
        {
          status: buildStatusJson(status, "public"),
          bundle: bundleSummaryJson(bundle),
          instant_url: await instantUrl(c, ref.titleId, ref.seasonNumber),
        },
        200,
        NO_STORE,
      );
    return startBuild(c, ref.titleId, ref.seasonNumber);
  })
  .openapi(bundleStatus, async (c) => {
    const q = c.req.valid("query");
    const { title: t, ref } = await publishedSeason(c.var.db, q.title_id, q.season_number);
    const { status, bundle } = await seasonBundleView(c.var.db, c.env.SEASON_BUNDLE, ref, c.var.clock.now());
    const download = bundle && q.presign === "true" ? await signBundle(c, t, bundle, c.var.config.PRESIGN_TTL_DEFAULT_SECONDS) : null;
    return c.json(
      {
        status: buildStatusJson(status, "public"),
        bundle: bundle ? bundleSummaryJson(bundle) : null,
        download,
        instant_url: await instantUrl(c, ref.titleId, ref.seasonNumber),
      },
      200,
      NO_STORE,
    );
  });
