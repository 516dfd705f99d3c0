// /api/v1/titles/{id}/bundles: a published title's active season bundles, and a season's
// manifest as a signed URL.
import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { problemResponse } from "../../http/openapi";
import { createRouter } from "../../http/router";
import { json } from "../../http/schemas";
import { AppError } from "../../lib/errors";
import { getPublishedTitle } from "../catalog/service";
import { publicBundleJson, publicBundleSchema } from "./contract";
import { activeBundle, activeBundles } from "./service";

const tags = ["public: catalog"];
const idParam = z
  .string()
  .min(1)
  .max(120)
  .meta({ param: { name: "id", in: "path", description: "Title id or slug" } });
const list = createRoute({
  method: "get",
  operationId: "listTitleBundlesPublic",
  path: "/titles/{id}/bundles",
  tags,
  summary: "Active (ready, unexpired) season bundles",
  request: { params: z.object({ id: idParam }) },
  responses: { 200: json(z.object({ items: z.array(publicBundleSchema) }), "Bundles"), 404: problemResponse("No such published title") },
});

const manifest = createRoute({
  method: "get",
  operationId: "getBundleManifest",
  path: "/titles/{id}/bundles/{season}/manifest",
  tags,
  summary: "A signed URL of a season bundle's manifest (JSON: items with sizes and SHA-256)",
  request: {
    params: z.object({
      id: idParam,
      season: z.coerce
        .number()
        .int()
        .min(0)
        .max(9999)
        .meta({ param: { name: "season", in: "path" } }),
    }),
  },
  responses: {
    200: json(z.object({ url: z.string(), expires_at: z.string() }), "Signed (no-store)"),
    404: problemResponse("No active bundle for that season"),
  },
});

export const publicBundleRoutes = createRouter()
  .openapi(list, async (c) => {
    const t = await getPublishedTitle(c.var.db, c.req.valid("param").id);
    const items = await activeBundles(c.var.db, t.id, c.var.clock.now());
    return c.json(
      {
        items: items.map(publicBundleJson),
      },
      200,
    );
  })
  .openapi(manifest, async (c) => {
    const p = c.req.valid("param");
    const t = await getPublishedTitle(c.var.db, p.id);
    const b = await activeBundle(c.var.db, t.id, p.season, c.var.clock.now());
    if (!b?.manifestKey) throw new AppError("NOT_FOUND", `Season ${p.season} has no active bundle with a manifest.`);
    const s = await c.var.signer.signGet(b.manifestKey, {
      expiresIn: c.var.config.PRESIGN_TTL_DEFAULT_SECONDS,
      contentType: "application/json",
      version: b.id,
    });
    return c.json({ url: s.url, expires_at: s.expiresAt.toISOString() }, 200, { "cache-control": "no-store" });
  });
