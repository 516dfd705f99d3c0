// /api/v1/admin/titles/{id}/bundles, /api/v1/admin/bundles/{id}…, /api/v1/admin/titles/{id}/rebuild-bundle:
// uploaded ZIPs (presigned PUT, then finalize), list, detail, label/expiry, delete, forced rebuild.
import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { ADMIN_SECURITY, adminErrorResponses, mutationErrorResponses, problemResponse, withLocation } from "../../http/openapi";
import { createRouter } from "../../http/router";
import { body, idempotencyHeaders, idParams, json } from "../../http/schemas";
import { AppError } from "../../lib/errors";
import { uploadEncryption } from "../../platform/env";
import { deleteObjects } from "../assets/storage-cleanup";
import { auditContextOf } from "../audit/service";
import { getTitle } from "../catalog/service";
import { buildStatusJson, buildStatusSchema, bundleJson, bundleSchema } from "./contract";
import { statusUrl } from "./routes-delivery";
import { requestBuild, requireSeason } from "./season-service";
import { createUploadedBundle, deleteBundle, finalizeUploadedBundle, getBundle, listBundles, patchBundle } from "./service";

const common = { security: ADMIN_SECURITY, tags: ["admin: bundles"] };
const DAY = 24 * 3600;

const routes = {
  create: createRoute({
    ...common,
    method: "post",
    operationId: "createUploadedBundle",
    path: "/admin/titles/{id}/bundles",
    summary: "Start an uploaded season ZIP: a presigned PUT (then POST /admin/bundles/{id}/finalize)",
    request: {
      params: idParams,
      headers: idempotencyHeaders,
      ...body(
        z.object({
          season_number: z.number().int().min(0).max(9999),
          label: z.string().max(200).optional(),
          expires_in_days: z.number().int().min(7).max(30).default(7),
        }),
      ),
    },
    responses: {
      201: json(
        z.object({
          bundle_id: z.uuid(),
          storage_key: z.string(),
          upload_url: z.string(),
          upload_headers: z.record(z.string(), z.string()),
          bundle: bundleSchema,
        }),
        "PUT the ZIP to upload_url",
      ),
      404: problemResponse("No such title or season"),
      ...mutationErrorResponses,
    },
  }),
  finalize: createRoute({
    ...common,
    method: "post",
    operationId: "finalizeUploadedBundle",
    path: "/admin/bundles/{id}/finalize",
    summary: "Mark an uploaded ZIP ready once it is in S3",
    request: { params: idParams, headers: idempotencyHeaders },
    responses: { 200: json(bundleSchema, "Ready"), 404: problemResponse("No such bundle"), ...mutationErrorResponses },
  }),
  list: createRoute({
    ...common,
    method: "get",
    operationId: "listTitleBundles",
    path: "/admin/titles/{id}/bundles",
    summary: "A title's bundles (building and active; include_expired=true for all)",
    request: { params: idParams, query: z.object({ include_expired: z.enum(["true", "false"]).optional() }) },
    responses: {
      200: json(z.object({ items: z.array(bundleSchema) }), "Bundles"),
      404: problemResponse("No such title"),
      ...adminErrorResponses,
    },
  }),
  get: createRoute({
    ...common,
    method: "get",
    operationId: "getBundle",
    path: "/admin/bundles/{id}",
    summary: "One bundle",
    request: { params: idParams },
    responses: { 200: json(bundleSchema, "The bundle"), 404: problemResponse("No such bundle"), ...adminErrorResponses },
  }),
  patch: createRoute({
    ...common,
    method: "patch",
    operationId: "updateBundle",
    path: "/admin/bundles/{id}",
    summary: "Change a bundle's label or expiry",
    request: {
      params: idParams,
      headers: idempotencyHeaders,
      ...body(
        z
          .object({ label: z.string().max(200).nullable().optional(), expires_at: z.iso.datetime({ offset: true }).nullable().optional() })
          .strict(),
      ),
    },
    responses: { 200: json(bundleSchema, "Updated"), 404: problemResponse("No such bundle"), ...mutationErrorResponses },
  }),
  delete: createRoute({
    ...common,
    method: "delete",
    operationId: "deleteBundle",
    path: "/admin/bundles/{id}",
    summary: "Delete a bundle row and (best effort) its objects, unless a live bundle of the season still uses them",
    request: { params: idParams, headers: idempotencyHeaders },
    responses: { 204: { description: "Deleted" }, 404: problemResponse("No such bundle"), ...mutationErrorResponses },
  }),
  rebuild: createRoute({
    ...common,
    method: "post",
    operationId: "rebuildBundle",
    path: "/admin/titles/{id}/rebuild-bundle",
    summary:
      "Rebuild a season's bundle now (bypasses the cooldown and the build gate; joins a running build; 409 when there is nothing to build)",
    request: {
      params: idParams,
      query: z.object({ season_number: z.coerce.number().int().min(0).max(9999) }),
      headers: idempotencyHeaders,
    },
    responses: {
      202: withLocation(json(z.object({ status: buildStatusSchema, status_url: z.string(), started: z.boolean() }), "Building")),
      404: problemResponse("No such title or season"),
      ...mutationErrorResponses,
    },
  }),
};

export const adminBundleRoutes = createRouter()
  .openapi(routes.create, async (c) => {
    const { id } = c.req.valid("param");
    const b = c.req.valid("json");
    await getTitle(c.var.db, id);
    await requireSeason(c.var.db, id, b.season_number);
    const row = await createUploadedBundle(
      c.var.db,
      {
        titleId: id,
        season: b.season_number,
        label: b.label ?? null,
        expiresAt: new Date(c.var.clock.now().getTime() + b.expires_in_days * DAY * 1000),
        createdBy: c.var.actor?.label ?? "unknown",
      },
      auditContextOf(c.var),
    );
    const put = await c.var.s3.presignPut(row.storageKey, {
      expiresIn: c.var.config.UPLOAD_URL_TTL_SECONDS,
      contentType: "application/zip",
      ...uploadEncryption(c.var.config),
    });
    return c.json(
      { bundle_id: row.id, storage_key: row.storageKey, upload_url: put.url, upload_headers: put.headers, bundle: bundleJson(row) },
      201,
      { "cache-control": "no-store" },
    );
  })
  .openapi(routes.finalize, async (c) => {
    const b = await getBundle(c.var.db, c.req.valid("param").id);
    const head = await c.var.s3.head(b.storageKey);
    if (!head) throw new AppError("CONFLICT", `Nothing has been uploaded to ${b.storageKey} yet.`);
    return c.json(bundleJson(await finalizeUploadedBundle(c.var.db, b.id, head.size, auditContextOf(c.var))), 200);
  })
  .openapi(routes.list, async (c) => {
    const { id } = c.req.valid("param");
    await getTitle(c.var.db, id);
    const items = await listBundles(c.var.db, id, c.req.valid("query").include_expired === "true", c.var.clock.now());
    return c.json({ items: items.map(bundleJson) }, 200);
  })
  .openapi(routes.get, async (c) => c.json(bundleJson(await getBundle(c.var.db, c.req.valid("param").id)), 200))
  .openapi(routes.patch, async (c) => {
    const p = c.req.valid("json");
    const patch: { label?: string | null; expiresAt?: Date | null } = {};
    if (p.label !== undefined) patch.label = p.label;
    if (p.expires_at !== undefined) patch.expiresAt = p.expires_at === null ? null : new Date(p.expires_at);
    return c.json(bundleJson(await patchBundle(c.var.db, c.req.valid("param").id, patch, auditContextOf(c.var))), 200);
  })
  .openapi(routes.delete, async (c) => {
    const { orphanedKeys } = await deleteBundle(c.var.db, c.req.valid("param").id, auditContextOf(c.var));
    await deleteObjects(c.var.s3, orphanedKeys, c.var.logger);
    return c.body(null, 204);
  })
  .openapi(routes.rebuild, async (c) => {
    const { id } = c.req.valid("param");
    const season = c.req.valid("query").season_number;
    await getTitle(c.var.db, id);
    await requireSeason(c.var.db, id, season);
    const outcome = await requestBuild(
      c.env.SEASON_BUNDLE,
      c.var.config,
      { titleId: id, seasonNumber: season },
      { force: true, requestedBy: c.var.actor?.label ?? "admin" },
    );
    const location = statusUrl(id, season);
    return c.json({ status: buildStatusJson(outcome.status, "admin"), status_url: location, started: outcome.started }, 202, { location });
  });
