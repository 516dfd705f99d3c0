// /api/v1/admin/episodes/{id}: update or delete one episode.
import { createRoute } from "@hono/zod-openapi";
import { ADMIN_SECURITY, mutationErrorResponses, problemResponse } from "../../http/openapi";
import { createRouter } from "../../http/router";
import { body, forceQuery, idempotencyHeaders, idParams, isForced, json } from "../../http/schemas";
import { keys } from "../../lib/storage-keys";
import { fromWire } from "../../lib/wire";
import { deleteObjects, deletePrefixes } from "../assets/storage-cleanup";
import { auditContextOf } from "../audit/service";
import { episodeJson, episodeSchema, patchEpisodeBody } from "./contract";
import { deleteEpisode, updateEpisode } from "./service";

const common = { security: ADMIN_SECURITY, tags: ["admin: catalog"] };

const patch = createRoute({
  ...common,
  method: "patch",
  operationId: "updateEpisode",
  path: "/admin/episodes/{id}",
  summary: "Update an episode",
  request: {
    params: idParams,
    headers: idempotencyHeaders,
    ...body(patchEpisodeBody),
  },
  responses: { 200: json(episodeSchema, "Updated"), 404: problemResponse("No such episode"), ...mutationErrorResponses },
});

const del = createRoute({
  ...common,
  method: "delete",
  operationId: "deleteEpisode",
  path: "/admin/episodes/{id}",
  summary: "Delete an episode (refused while it has assets, unless forced)",
  request: { params: idParams, query: forceQuery, headers: idempotencyHeaders },
  responses: { 204: { description: "Deleted" }, 404: problemResponse("No such episode"), ...mutationErrorResponses },
});

export const adminEpisodeRoutes = createRouter()
  .openapi(patch, async (c) => {
    const b = c.req.valid("json");
    const e = await updateEpisode(c.var.db, c.req.valid("param").id, fromWire(b), auditContextOf(c.var));
    return c.json(episodeJson(e), 200);
  })
  .openapi(del, async (c) => {
    const id = c.req.valid("param").id;
    const { storageKeys, titleId } = await deleteEpisode(c.var.db, id, isForced(c.req.valid("query")), auditContextOf(c.var));
    // Every object under the episode's folders (an HLS ladder's segments have no rows), then any stragglers.
    await deletePrefixes(c.var.s3, keys.episodePrefixes(titleId, id), c.var.logger);
    await deleteObjects(c.var.s3, storageKeys, c.var.logger);
    return c.body(null, 204);
  });
