// POST /api/v1/admin/delivery/download-tokens/batch: mint one-time download tokens.
import { createRoute } from "@hono/zod-openapi";
import { inArray } from "drizzle-orm";
import * as z from "zod";
import { mediaAssets } from "../../db/schema";
import { ADMIN_SECURITY, mutationErrorResponses, problemResponse } from "../../http/openapi";
import { createRouter } from "../../http/router";
import { body, idempotencyHeaders, json } from "../../http/schemas";
import { AppError, type FieldError } from "../../lib/errors";
import { auditContextOf, auditInsert } from "../audit/service";
import { storageKey } from "./contract";
import { mintTokens } from "./download-tokens";
import { authorizeKeys } from "./service";

export const TOKEN_BATCH_MAX = 500;

const route = createRoute({
  method: "post",
  operationId: "mintDownloadTokens",
  path: "/admin/delivery/download-tokens/batch",
  tags: ["admin: delivery"],
  summary: "Mint one-time download tokens (returned once; only their hashes are kept)",
  security: ADMIN_SECURITY,
  request: {
    headers: idempotencyHeaders,
    ...body(
      z
        .object({
          items: z
            .array(z.union([z.object({ asset_id: z.uuid() }).strict(), z.object({ storage_key: storageKey }).strict()]))
            .min(1)
            .max(TOKEN_BATCH_MAX),
          ttl_seconds: z.number().int().min(60),
          label: z.string().max(200).optional(),
        })
        .meta({ id: "DownloadTokenBatch" }),
    ),
  },
  responses: {
    201: json(
      z.object({
        items: z.array(z.object({ token: z.string(), storage_key: z.string(), expires_at: z.string(), redeem_url: z.string() })),
      }),
      "Minted (no-store)",
    ),
    400: problemResponse("Invalid body or TTL over DOWNLOAD_TOKEN_MAX_TTL_SECONDS"),
    404: problemResponse("Some items are not downloadable; `errors` names them"),
    ...mutationErrorResponses,
  },
});

export const downloadTokenRoutes = createRouter().openapi(route, async (c) => {
  const b = c.req.valid("json");
  const max = c.var.config.DOWNLOAD_TOKEN_MAX_TTL_SECONDS;
  if (b.ttl_seconds > max) {
    throw new AppError("VALIDATION_FAILED", `json.ttl_seconds: at most ${max}`, {
      errors: [{ path: "json.ttl_seconds", message: `at most ${max}` }],
    });
  }
  const assetIds = b.items.flatMap((i) => ("asset_id" in i ? [i.asset_id] : []));
  const byId = new Map(
    assetIds.length
      ? (
          await c.var.db
            .select({ id: mediaAssets.id, key: mediaAssets.storageKey })
            .from(mediaAssets)
            .where(inArray(mediaAssets.id, assetIds))
        ).map((r) => [r.id, r.key])
      : [],
  );
  const keys = b.items.map((i) => ("asset_id" in i ? (byId.get(i.asset_id) ?? "") : i.storage_key));
  const allowed = await authorizeKeys(c.var, keys.filter(Boolean));
  const missing: FieldError[] = keys.flatMap((k, i) =>
    k && allowed.has(k) ? [] : [{ path: `json.items.${i}`, message: "not a downloadable file of a published title" }],
  );
  if (missing.length) throw new AppError("NOT_FOUND", `${missing.length} item(s) are not downloadable.`, { errors: missing });

  const actor = c.var.actor?.label ?? "unknown";
  const minted = await mintTokens(
    c.var.redis,
    keys.map((storageKey) => ({ storageKey })),
    { ttlSeconds: b.ttl_seconds, label: b.label ?? null, createdBy: actor, now: c.var.clock.now() },
  );
  await auditInsert(c.var.db, auditContextOf(c.var), {
    action: "download_token.create",
    resourceType: "download_token",
    details: { count: minted.length, ttl_seconds: b.ttl_seconds, label: b.label ?? null, storage_keys: [...new Set(keys)].slice(0, 50) },
  });
  const origin = new URL(c.req.url).origin;
  return c.json(
    {
      items: minted.map((m) => ({
        token: m.token,
        storage_key: m.storageKey,
        expires_at: m.expiresAt.toISOString(),
        redeem_url: `${origin}/api/v1/delivery/download/${m.token}`,
      })),
    },
    201,
    { "cache-control": "no-store" },
  );
});
