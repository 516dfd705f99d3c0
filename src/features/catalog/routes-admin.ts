// /api/v1/admin/titles…: titles, their seasons and episodes, publication and media validation.
import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { ADMIN_SECURITY, adminErrorResponses, mutationErrorResponses, problemResponse, withLocation } from "../../http/openapi";
import { createRouter } from "../../http/router";
import { body, forceQuery, idempotencyHeaders, idParams, isForced, json, uuidParam } from "../../http/schemas";
import { AppError } from "../../lib/errors";
import { keys } from "../../lib/storage-keys";
import { fromWire } from "../../lib/wire";
import { assetJson, assetSchema } from "../assets/contract";
import { listAssets } from "../assets/service";
import { deleteObjects, deletePrefixes } from "../assets/storage-cleanup";
import { auditContextOf } from "../audit/service";
import {
  createEpisodeBody,
  createTitleBody,
  episodeJson,
  episodeSchema,
  patchTitleBody,
  seasonJson,
  seasonSchema,
  titleJson,
  titleSchema,
  validationJson,
  validationSchema,
} from "./contract";
import { validateMedia } from "./media-validation";
import {
  createEpisode,
  createSeason,
  createTitle,
  deleteSeason,
  deleteTitle,
  getSeasonsWithEpisodes,
  getTitle,
  listTitlesAdmin,
  setTitleStatus,
  updateSeason,
  updateTitle,
} from "./service";

const tags = ["admin: catalog"];
const common = { security: ADMIN_SECURITY, tags };
const seasonParams = z.object({
  id: uuidParam("id"),
  number: z.coerce
    .number()
    .int()
    .min(0)
    .max(9999)
    .meta({ param: { name: "number", in: "path" } }),
});

const titleDetailSchema = z
  .object({ title: titleSchema, seasons: z.array(seasonSchema), assets: z.array(assetSchema) })
  .meta({ id: "AdminTitleDetail" });

const routes = {
  list: createRoute({
    ...common,
    method: "get",
    operationId: "listAdminTitles",
    path: "/admin/titles",
    summary: "List titles in every state",
    request: {
      query: z.object({
        status: z.enum(["draft", "published", "archived"]).optional(),
        kind: z.enum(["movie", "series"]).optional(),
        q: z.string().max(200).optional(),
        limit: z.coerce.number().int().min(1).max(200).default(50),
        cursor: z.string().max(500).optional(),
      }),
    },
    responses: {
      200: json(z.object({ items: z.array(titleSchema), next_cursor: z.string().nullable() }), "Titles, newest first"),
      400: problemResponse("Bad query"),
      ...adminErrorResponses,
    },
  }),
  create: createRoute({
    ...common,
    method: "post",
    operationId: "createTitle",
    path: "/admin/titles",
    summary: "Create a title (as a draft)",
    request: { headers: idempotencyHeaders, ...body(createTitleBody) },
    responses: { 201: withLocation(json(titleSchema, "Created")), 400: problemResponse("Invalid body"), ...mutationErrorResponses },
  }),
  get: createRoute({
    ...common,
    method: "get",
    operationId: "getAdminTitle",
    path: "/admin/titles/{id}",
    summary: "A title with its seasons, episodes and assets",
    request: { params: idParams },
    responses: { 200: json(titleDetailSchema, "The title"), 404: problemResponse("No such title"), ...adminErrorResponses },
  }),
  patch: createRoute({
    ...common,
    method: "patch",
    operationId: "updateTitle",
    path: "/admin/titles/{id}",
    summary: "Update a title's metadata",
    request: { params: idParams, headers: idempotencyHeaders, ...body(patchTitleBody) },
    responses: {
      200: json(titleSchema, "Updated"),
      400: problemResponse("Invalid body"),
      404: problemResponse("No such title"),
      ...mutationErrorResponses,
    },
  }),
  delete: createRoute({
    ...common,
    method: "delete",
    operationId: "deleteTitle",
    path: "/admin/titles/{id}",
    summary: "Delete a title (refused while assets or bundles depend on it, unless forced)",
    request: { params: idParams, query: forceQuery, headers: idempotencyHeaders },
    responses: { 204: { description: "Deleted" }, 404: problemResponse("No such title"), ...mutationErrorResponses },
  }),
  publish: createRoute({
    ...common,
    method: "post",
    operationId: "publishTitle",
    path: "/admin/titles/{id}/publish",
    summary: "Publish a title; refused when media validation fails, unless forced",
    request: { params: idParams, query: forceQuery, headers: idempotencyHeaders },
    responses: {
      200: json(z.object({ title: titleSchema, validation: validationSchema }), "Published"),
      404: problemResponse("No such title"),
      ...mutationErrorResponses,
      422: problemResponse("Media validation failed (the report is in `validation`), or the Idempotency-Key was reused"),
    },
  }),
  unpublish: createRoute({
    ...common,
    method: "post",
    operationId: "unpublishTitle",
    path: "/admin/titles/{id}/unpublish",
    summary: "Take a title back to draft",
    request: { params: idParams, headers: idempotencyHeaders },
    responses: { 200: json(titleSchema, "Now a draft"), 404: problemResponse("No such title"), ...mutationErrorResponses },
  }),
  archive: createRoute({
    ...common,
    method: "post",
    operationId: "archiveTitle",
    path: "/admin/titles/{id}/archive",
    summary: "Archive a title (hidden from the public, kept)",
    request: { params: idParams, headers: idempotencyHeaders },
    responses: { 200: json(titleSchema, "Archived"), 404: problemResponse("No such title"), ...mutationErrorResponses },
  }),
  validate: createRoute({
    ...common,
    method: "get",
    operationId: "validateTitleMedia",
    path: "/admin/titles/{id}/validate-media",
    summary: "Pre-publish media policy checks",
    request: { params: idParams },
    responses: {
      200: json(validationSchema, "The report (ok is false when there are errors)"),
      404: problemResponse("No such title"),
      ...adminErrorResponses,
    },
  }),
  createSeason: createRoute({
    ...common,
    method: "post",
    operationId: "createSeason",
    path: "/admin/titles/{id}/seasons",
    summary: "Add a season to a series",
    request: {
      params: idParams,
      headers: idempotencyHeaders,
      ...body(
        z.object({
          number: z.number().int().min(0).max(9999),
          name: z.string().max(300).nullable().optional(),
          overview: z.string().max(10_000).nullable().optional(),
        }),
      ),
    },
    responses: { 201: json(seasonSchema, "Created"), 404: problemResponse("No such title"), ...mutationErrorResponses },
  }),
  patchSeason: createRoute({
    ...common,
    method: "patch",
    operationId: "updateSeason",
    path: "/admin/titles/{id}/seasons/{number}",
    summary: "Update a season",
    request: {
      params: seasonParams,
      headers: idempotencyHeaders,
      ...body(
        z.object({ name: z.string().max(300).nullable().optional(), overview: z.string().max(10_000).nullable().optional() }).strict(),
      ),
    },
    responses: { 200: json(seasonSchema, "Updated"), 404: problemResponse("No such season"), ...mutationErrorResponses },
  }),
  deleteSeason: createRoute({
    ...common,
    method: "delete",
    operationId: "deleteSeason",
    path: "/admin/titles/{id}/seasons/{number}",
    summary: "Delete a season and its episodes (refused while they have assets or bundles, unless forced)",
    request: { params: seasonParams, query: forceQuery, headers: idempotencyHeaders },
    responses: { 204: { description: "Deleted" }, 404: problemResponse("No such season"), ...mutationErrorResponses },
  }),
  createEpisode: createRoute({
    ...common,
    method: "post",
    operationId: "createEpisode",
    path: "/admin/titles/{id}/episodes",
    summary: "Add an episode (its season is created if missing)",
    request: {
      params: idParams,
      headers: idempotencyHeaders,
      ...body(createEpisodeBody),
    },
    responses: { 201: withLocation(json(episodeSchema, "Created")), 404: problemResponse("No such title"), ...mutationErrorResponses },
  }),
};

export const adminTitleRoutes = createRouter()
  .openapi(routes.list, async (c) => {
    const q = c.req.valid("query");
    const page = await listTitlesAdmin(c.var.db, q);
    return c.json({ items: page.items.map(titleJson), next_cursor: page.nextCursor }, 200);
  })
  .openapi(routes.create, async (c) => {
    const b = c.req.valid("json");
    const t = await createTitle(c.var.db, fromWire(b), auditContextOf(c.var));
    return c.json(titleJson(t), 201, { location: `/api/v1/admin/titles/${t.id}` });
  })
  .openapi(routes.get, async (c) => {
    const { id } = c.req.valid("param");
    const t = await getTitle(c.var.db, id);
    const [seasons, assets] = await Promise.all([getSeasonsWithEpisodes(c.var.db, id), listAssets(c.var.db, id)]);
    return c.json({ title: titleJson(t), seasons: seasons.map(seasonJson), assets: assets.map(assetJson) }, 200);
  })
  .openapi(routes.patch, async (c) => {
    const t = await updateTitle(c.var.db, c.req.valid("param").id, fromWire(c.req.valid("json")), auditContextOf(c.var));
    return c.json(titleJson(t), 200);
  })
  .openapi(routes.delete, async (c) => {
    const id = c.req.valid("param").id;
    const { storageKeys } = await deleteTitle(c.var.db, id, isForced(c.req.valid("query")), auditContextOf(c.var));
    // Every object under the title's folders (an HLS ladder's segments have no rows), then any stragglers.
    await deletePrefixes(c.var.s3, keys.titlePrefixes(id), c.var.logger);
    await deleteObjects(c.var.s3, storageKeys, c.var.logger);
    return c.body(null, 204);
  })
  .openapi(routes.publish, async (c) => {
    const { id } = c.req.valid("param");
    const force = isForced(c.req.valid("query"));
    const report = await validateMedia(c.var.db, id);
    if (!report.ok && !force) {
      throw new AppError("UNPROCESSABLE", `Media validation failed with ${report.errors.length} error(s); fix them or pass force=true.`, {
        validation: validationJson(report),
      });
    }
    const t = await setTitleStatus(c.var.db, id, "published", auditContextOf(c.var), {
      forced: force && !report.ok,
      errors: report.errors.length,
    });
    return c.json({ title: titleJson(t), validation: validationJson(report) }, 200);
  })
  .openapi(routes.unpublish, async (c) =>
    c.json(titleJson(await setTitleStatus(c.var.db, c.req.valid("param").id, "draft", auditContextOf(c.var))), 200),
  )
  .openapi(routes.archive, async (c) =>
    c.json(titleJson(await setTitleStatus(c.var.db, c.req.valid("param").id, "archived", auditContextOf(c.var))), 200),
  )
  .openapi(routes.validate, async (c) => c.json(validationJson(await validateMedia(c.var.db, c.req.valid("param").id)), 200))
  .openapi(routes.createSeason, async (c) => {
    const s = await createSeason(c.var.db, c.req.valid("param").id, c.req.valid("json"), auditContextOf(c.var));
    return c.json(seasonJson(s), 201);
  })
  .openapi(routes.patchSeason, async (c) => {
    const p = c.req.valid("param");
    return c.json(seasonJson(await updateSeason(c.var.db, p.id, p.number, c.req.valid("json"), auditContextOf(c.var))), 200);
  })
  .openapi(routes.deleteSeason, async (c) => {
    const p = c.req.valid("param");
    await deleteSeason(c.var.db, p.id, p.number, isForced(c.req.valid("query")), auditContextOf(c.var));
    return c.body(null, 204);
  })
  .openapi(routes.createEpisode, async (c) => {
    const b = c.req.valid("json");
    const e = await createEpisode(
      c.var.db,
      c.req.valid("param").id,
      { name: null, overview: null, runtimeMinutes: null, airDate: null, ...fromWire(b) },
      auditContextOf(c.var),
    );
    return c.json(episodeJson(e), 201, { location: `/api/v1/admin/episodes/${e.id}` });
  });
