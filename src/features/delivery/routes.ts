// /api/v1/delivery/download-url and /batch-download-urls: signed download URLs for keys that
// belong to a downloadable asset of a published title or to an active bundle. no-store.
import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { problemResponse } from "../../http/openapi";
import { createRouter } from "../../http/router";
import { body, json } from "../../http/schemas";
import { AppError } from "../../lib/errors";
import { filename, signedJson, signedSchema, storageKey } from "./contract";
import { checkTtl, type SignedDownload, signDownloads } from "./service";

const tags = ["public: delivery"];
const NO_STORE = { "cache-control": "no-store" };

const single = createRoute({
  method: "post",
  operationId: "presignDownload",
  path: "/delivery/download-url",
  tags,
  summary: "A signed URL for one file, as an attachment",
  request: {
    ...body(
      z
        .object({ storage_key: storageKey, ttl_seconds: z.number().int().optional(), attachment_filename: filename.optional() })
        .meta({ id: "DownloadUrlRequest" }),
    ),
  },
  responses: {
    200: json(signedSchema, "Signed (no-store)"),
    400: problemResponse("Invalid body or TTL outside the configured bounds"),
    404: problemResponse("No downloadable file with that key"),
    429: problemResponse("Rate limited"),
  },
});

const batch = createRoute({
  method: "post",
  operationId: "presignDownloads",
  path: "/delivery/batch-download-urls",
  tags,
  summary: "Signed URLs for many files at once (at most BATCH_DOWNLOAD_MAX_ITEMS)",
  request: {
    ...body(
      z
        .object({
          items: z.array(z.object({ storage_key: storageKey, attachment_filename: filename.optional() })).min(1),
          ttl_seconds: z.number().int().optional(),
        })
        .meta({ id: "BatchDownloadUrlRequest" }),
    ),
  },
  responses: {
    200: json(z.object({ items: z.array(signedSchema) }), "Signed, in the order asked (no-store)"),
    400: problemResponse("Invalid body, too many items, or TTL outside the bounds"),
    404: problemResponse("Some keys are not downloadable; `errors` names them"),
    429: problemResponse("Rate limited"),
  },
});

export const downloadRoutes = createRouter()
  .openapi(single, async (c) => {
    const b = c.req.valid("json");
    const ttl = checkTtl(c.var.config, b.ttl_seconds, "json.ttl_seconds");
    const [signed] = await signDownloads(
      c.var,
      [{ storageKey: b.storage_key, attachmentFilename: b.attachment_filename }],
      ttl,
      () => "json.storage_key",
    );
    return c.json(signedJson(signed as SignedDownload), 200, NO_STORE);
  })
  .openapi(batch, async (c) => {
    const b = c.req.valid("json");
    const max = c.var.config.BATCH_DOWNLOAD_MAX_ITEMS;
    if (b.items.length > max) {
      throw new AppError("VALIDATION_FAILED", `json.items: at most ${max} items per batch`, {
        errors: [{ path: "json.items", message: `at most ${max} items per batch` }],
      });
    }
    const ttl = checkTtl(c.var.config, b.ttl_seconds, "json.ttl_seconds");
    const items = b.items.map((i) => ({ storageKey: i.storage_key, attachmentFilename: i.attachment_filename }));
    const signed = await signDownloads(c.var, items, ttl, (i) => `json.items.${i}.storage_key`);
    return c.json({ items: signed.map(signedJson) }, 200, NO_STORE);
  });
