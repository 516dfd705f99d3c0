// /api/v1/admin/titles/{id}/assets and /api/v1/admin/assets/{id}…: media assets, their uploads
// (single presigned PUT or multipart; an HLS tier's folder file by file), HEAD, checksum and finalize.
import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { ADMIN_SECURITY, adminErrorResponses, mutationErrorResponses, problemResponse, withLocation } from "../../http/openapi";
import { createRouter } from "../../http/router";
import { body, idempotencyHeaders, idParams, json } from "../../http/schemas";
import { plainText } from "../../lib/storage-keys";
import { auditContextOf } from "../audit/service";
import { bumpCatalogVersion } from "../catalog/catalog-version";
import {
  assetJson,
  assetSchema,
  contentType,
  hlsFileJson,
  hlsFileSchema,
  hlsFileUploadJson,
  hlsFileUploadSchema,
  metadataFields,
  metadataFromBody,
  presignHlsFilesBody,
  sha256,
} from "./contract";
import { HLS_FILE_BATCH_MAX, listHlsFiles, presignHlsFiles } from "./hls-folder";
import {
  ASSET_KINDS,
  abortMultipart,
  checksumAsset,
  completeMultipart,
  createAsset,
  deleteAsset,
  finalizeAsset,
  getAsset,
  headAsset,
  listAssets,
  listUploadedParts,
  PART_URL_BATCH_MAX,
  presignParts,
  updateAsset,
} from "./service";

const common = { security: ADMIN_SECURITY, tags: ["admin: assets"] };
const uploadSchema = z
  .discriminatedUnion("method", [
    z.object({
      method: z.literal("single"),
      url: z.string(),
      headers: z.record(z.string(), z.string()).describe("Send exactly these headers with the PUT"),
      expires_at: z.string(),
    }),
    z.object({
      method: z.literal("multipart"),
      upload_id: z.string(),
      part_size: z.number().int(),
      part_count: z.number().int(),
      parts_url: z.string().describe("POST part numbers here for presigned part URLs; GET it to list uploaded parts"),
      complete_url: z.string(),
    }),
  ])
  .meta({ id: "AssetUpload" });
const partSchema = z.object({ part_number: z.number().int().min(1).max(10_000), etag: z.string().min(1).max(200) });

const routes = {
  create: createRoute({
    ...common,
    method: "post",
    operationId: "createAsset",
    path: "/admin/titles/{id}/assets",
    summary: "Register a media asset and get its upload (a presigned PUT up to 5 GiB, else multipart)",
    request: {
      params: idParams,
      headers: idempotencyHeaders,
      ...body(
        z
          .object({
            kind: z.enum(ASSET_KINDS),
            episode_id: z.uuid().nullable().optional(),
            filename: plainText(200),
            size_bytes: z
              .number()
              .int()
              .min(0)
              .max(5 * 1024 ** 4),
            quality: z
              .string()
              .regex(/^[\w.-]{1,40}$/)
              .optional()
              .describe("Folder for DOWNLOAD/VIDEO keys, e.g. 1080p or source"),
            upload_method: z.enum(["auto", "single", "multipart"]).optional().describe("auto: multipart above 5 GiB"),
            ...metadataFields,
          })
          .meta({ id: "CreateAsset" }),
      ),
    },
    responses: {
      201: withLocation(json(z.object({ asset: assetSchema, upload: uploadSchema }), "Registered; upload to the given URL(s)")),
      400: problemResponse("Invalid body"),
      404: problemResponse("No such title or episode"),
      ...mutationErrorResponses,
    },
  }),
  list: createRoute({
    ...common,
    method: "get",
    operationId: "listTitleAssets",
    path: "/admin/titles/{id}/assets",
    summary: "A title's assets",
    request: { params: idParams },
    responses: { 200: json(z.object({ items: z.array(assetSchema) }), "Assets"), ...adminErrorResponses },
  }),
  get: createRoute({
    ...common,
    method: "get",
    operationId: "getAsset",
    path: "/admin/assets/{id}",
    summary: "One asset",
    request: { params: idParams },
    responses: { 200: json(assetSchema, "The asset"), 404: problemResponse("No such asset"), ...adminErrorResponses },
  }),
  patch: createRoute({
    ...common,
    method: "patch",
    operationId: "updateAsset",
    path: "/admin/assets/{id}",
    summary: "Update an asset's metadata",
    request: { params: idParams, headers: idempotencyHeaders, ...body(z.object(metadataFields).strict()) },
    responses: {
      200: json(assetSchema, "Updated"),
      400: problemResponse("Invalid body"),
      404: problemResponse("No such asset"),
      ...mutationErrorResponses,
    },
  }),
  delete: createRoute({
    ...common,
    method: "delete",
    operationId: "deleteAsset",
    path: "/admin/assets/{id}",
    summary: "Delete an asset and (best effort) its object",
    request: { params: idParams, headers: idempotencyHeaders },
    responses: { 204: { description: "Deleted" }, 404: problemResponse("No such asset"), ...mutationErrorResponses },
  }),
  presignParts: createRoute({
    ...common,
    method: "post",
    operationId: "presignUploadParts",
    path: "/admin/assets/{id}/upload/parts",
    summary: `Presigned URLs for up to ${PART_URL_BATCH_MAX} parts of a multipart upload`,
    request: {
      params: idParams,
      ...body(z.object({ part_numbers: z.array(z.number().int().min(1).max(10_000)).min(1).max(PART_URL_BATCH_MAX) })),
    },
    responses: {
      200: json(
        z.object({ parts: z.array(z.object({ part_number: z.number().int(), url: z.string() })) }),
        "PUT each part to its URL; keep the ETag",
      ),
      404: problemResponse("No such asset"),
      409: problemResponse("No multipart upload in progress"),
      ...adminErrorResponses,
    },
  }),
  listParts: createRoute({
    ...common,
    method: "get",
    operationId: "listUploadedParts",
    path: "/admin/assets/{id}/upload/parts",
    summary: "Parts already uploaded (to resume)",
    request: { params: idParams },
    responses: {
      200: json(
        z.object({ parts: z.array(z.object({ part_number: z.number().int(), etag: z.string(), size: z.number().int().nullable() })) }),
        "Parts",
      ),
      404: problemResponse("No such asset"),
      409: problemResponse("No multipart upload in progress"),
      ...adminErrorResponses,
    },
  }),
  complete: createRoute({
    ...common,
    method: "post",
    operationId: "completeUpload",
    path: "/admin/assets/{id}/upload/complete",
    summary: "Complete a multipart upload with the parts' ETags",
    request: { params: idParams, headers: idempotencyHeaders, ...body(z.object({ parts: z.array(partSchema).min(1).max(10_000) })) },
    responses: { 200: json(assetSchema, "Assembled"), 404: problemResponse("No such asset"), ...mutationErrorResponses },
  }),
  abort: createRoute({
    ...common,
    method: "delete",
    operationId: "abortUpload",
    path: "/admin/assets/{id}/upload",
    summary: "Abort a multipart upload",
    request: { params: idParams, headers: idempotencyHeaders },
    responses: { 204: { description: "Aborted" }, 404: problemResponse("No such asset"), ...mutationErrorResponses },
  }),
  presignFiles: createRoute({
    ...common,
    method: "post",
    operationId: "presignHlsFiles",
    path: "/admin/assets/{id}/files",
    summary: "Presigned PUTs for files of an HLS tier's folder (playlists, init and media segments, keys), by relative path",
    description: `At most ${HLS_FILE_BATCH_MAX} paths a call; each PUT must send the headers given (its content type follows the extension).`,
    request: { params: idParams, headers: idempotencyHeaders, ...body(presignHlsFilesBody) },
    responses: {
      200: json(z.object({ files: z.array(hlsFileUploadSchema) }), "One presigned PUT per path"),
      404: problemResponse("No such asset"),
      ...mutationErrorResponses,
      409: problemResponse("Not an HLS tier asset, or a request with the same Idempotency-Key is still running"),
    },
  }),
  listFiles: createRoute({
    ...common,
    method: "get",
    operationId: "listHlsFiles",
    path: "/admin/assets/{id}/files",
    summary: "What S3 holds in an HLS tier's folder, by relative path (to resume an upload)",
    request: { params: idParams },
    responses: {
      200: json(z.object({ files: z.array(hlsFileSchema), truncated: z.boolean() }), "The folder's files, by path"),
      404: problemResponse("No such asset"),
      409: problemResponse("Not an HLS tier asset"),
      ...adminErrorResponses,
    },
  }),
  head: createRoute({
    ...common,
    method: "get",
    operationId: "headAsset",
    path: "/admin/assets/{id}/head",
    summary: "HEAD the object in S3 and store its size and content type",
    request: { params: idParams },
    responses: { 200: json(assetSchema, "Stored"), 404: problemResponse("No such asset, or nothing uploaded yet"), ...adminErrorResponses },
  }),
  checksum: createRoute({
    ...common,
    method: "post",
    operationId: "checksumAsset",
    path: "/admin/assets/{id}/checksum",
    summary:
      "Compute and store SHA-256 and CRC-32: inline up to CHECKSUM_INLINE_MAX_BYTES; above it the job service hashes the object (202 until done: ask again to store the result), or give the sha256",
    request: {
      params: idParams,
      headers: idempotencyHeaders,
      body: { required: false, content: { "application/json": { schema: z.object({ sha256: sha256.optional() }) } } },
    },
    responses: {
      200: json(z.object({ asset: assetSchema, computed: z.boolean() }), "Stored"),
      202: json(
        z.object({
          state: z.literal("running"),
          job_id: z.string(),
          progress: z.object({ bytes_done: z.number(), bytes_total: z.number() }).nullable(),
          last_error: z.string().nullable().describe("Why the previous run failed (it was started again)"),
        }),
        "Being hashed by the job service: POST again (after Retry-After) to store the result",
      ),
      404: problemResponse("No such asset, or nothing uploaded yet"),
      ...mutationErrorResponses,
      409: problemResponse("The given sha256 contradicts the object or the stored one"),
      422: problemResponse("The Idempotency-Key was reused"),
      503: problemResponse("The job service (for objects over the inline limit) is unavailable"),
    },
  }),
  finalize: createRoute({
    ...common,
    method: "post",
    operationId: "finalizeAsset",
    path: "/admin/assets/{id}/finalize",
    summary: "Store {size_bytes, content_type, sha256} once they agree with S3 (idempotent)",
    request: {
      params: idParams,
      headers: idempotencyHeaders,
      ...body(z.object({ size_bytes: z.number().int().min(0), content_type: contentType, sha256 }).meta({ id: "FinalizeAsset" })),
    },
    responses: {
      200: json(assetSchema, "Finalized"),
      404: problemResponse("No such asset"),
      ...mutationErrorResponses,
      409: problemResponse(
        "Contradicts S3 or an earlier finalize/checksum (`contradictions` lists what), or an HLS tier's playlist chain can't be served (`problems` lists each missing, empty or out-of-folder file)",
      ),
      422: problemResponse(
        "An HLS tier whose file is not a playlist (or is over 1 MiB), or an Idempotency-Key reused with a different request",
      ),
    },
  }),
};

export const adminAssetRoutes = createRouter()
  .openapi(routes.create, async (c) => {
    const { id } = c.req.valid("param");
    const b = c.req.valid("json");
    const r = await createAsset(
      { db: c.var.db, s3: c.var.s3, config: c.var.config, now: c.var.clock.now() },
      id,
      {
        ...metadataFromBody(b),
        kind: b.kind,
        episodeId: b.episode_id ?? null,
        filename: b.filename,
        sizeBytes: b.size_bytes,
        quality: b.quality,
        uploadMethod: b.upload_method ?? "auto",
      },
      auditContextOf(c.var),
    );
    const base = `/api/v1/admin/assets/${r.asset.id}`;
    const upload =
      r.upload.method === "single"
        ? { method: "single" as const, url: r.upload.url, headers: r.upload.headers, expires_at: r.upload.expiresAt }
        : {
            method: "multipart" as const,
            upload_id: r.upload.uploadId,
            part_size: r.upload.partSize,
            part_count: r.upload.partCount,
            parts_url: `${base}/upload/parts`,
            complete_url: `${base}/upload/complete`,
          };
    return c.json({ asset: assetJson(r.asset), upload }, 201, { location: base, "cache-control": "no-store" });
  })
  .openapi(routes.list, async (c) => c.json({ items: (await listAssets(c.var.db, c.req.valid("param").id)).map(assetJson) }, 200))
  .openapi(routes.get, async (c) => c.json(assetJson(await getAsset(c.var.db, c.req.valid("param").id)), 200))
  .openapi(routes.patch, async (c) =>
    c.json(
      assetJson(await updateAsset(c.var.db, c.req.valid("param").id, metadataFromBody(c.req.valid("json")), auditContextOf(c.var))),
      200,
    ),
  )
  .openapi(routes.delete, async (c) => {
    await deleteAsset(c.var, c.req.valid("param").id, auditContextOf(c.var));
    return c.body(null, 204);
  })
  .openapi(routes.presignParts, async (c) => {
    const parts = await presignParts(c.var, c.req.valid("param").id, c.req.valid("json").part_numbers);
    return c.json({ parts: parts.map((p) => ({ part_number: p.partNumber, url: p.url })) }, 200, { "cache-control": "no-store" });
  })
  .openapi(routes.listParts, async (c) => {
    const parts = await listUploadedParts(c.var, c.req.valid("param").id);
    return c.json({ parts: parts.map((p) => ({ part_number: p.partNumber, etag: p.etag, size: p.size ?? null })) }, 200);
  })
  .openapi(routes.complete, async (c) => {
    const parts = c.req.valid("json").parts.map((p) => ({ partNumber: p.part_number, etag: p.etag }));
    return c.json(assetJson(await completeMultipart(c.var, c.req.valid("param").id, parts, auditContextOf(c.var))), 200);
  })
  .openapi(routes.abort, async (c) => {
    await abortMultipart(c.var, c.req.valid("param").id, auditContextOf(c.var));
    return c.body(null, 204);
  })
  .openapi(routes.presignFiles, async (c) => {
    const a = await getAsset(c.var.db, c.req.valid("param").id);
    const files = await presignHlsFiles({ ...c.var, now: c.var.clock.now() }, a, c.req.valid("json").paths);
    return c.json({ files: files.map(hlsFileUploadJson) }, 200);
  })
  .openapi(routes.listFiles, async (c) => {
    const { files, truncated } = await listHlsFiles(c.var.s3, await getAsset(c.var.db, c.req.valid("param").id));
    return c.json({ files: files.map(hlsFileJson), truncated }, 200);
  })
  .openapi(routes.head, async (c) => {
    const a = await headAsset(c.var, c.req.valid("param").id, auditContextOf(c.var));
    // A GET that writes (its documented contract): move the catalog version on like any other write.
    await bumpCatalogVersion(c.var);
    return c.json(assetJson(a), 200);
  })
  .openapi(routes.checksum, async (c) => {
    const given = c.req.valid("json") ?? {};
    const r = await checksumAsset(c.var, c.req.valid("param").id, { sha256: given.sha256 }, auditContextOf(c.var));
    if (r.state === "running")
      return c.json({ state: r.state, job_id: r.jobId, progress: r.progress, last_error: r.lastError }, 202, { "retry-after": "2" });
    return c.json({ asset: assetJson(r.asset), computed: r.computed }, 200);
  })
  .openapi(routes.finalize, async (c) => {
    const b = c.req.valid("json");
    const a = await finalizeAsset(
      c.var,
      c.req.valid("param").id,
      { sizeBytes: b.size_bytes, contentType: b.content_type, sha256: b.sha256 },
      auditContextOf(c.var),
    );
    return c.json(assetJson(a), 200);
  });
