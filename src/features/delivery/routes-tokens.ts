// GET /api/v1/delivery/download/{token} (and the older /api/v1/admin/delivery/download/{token}, kept for existing links):
// spend a one-time token and go to a fresh signed URL of its file. HEAD says whether the token
// is still good without spending it (link checkers and mail scanners send HEAD); the link is its
// own credential, so it needs no X-API-Key; the log records the route, never the token.
import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { problemResponse } from "../../http/openapi";
import { createRouter } from "../../http/router";
import { AppError } from "../../lib/errors";
import { peekToken, redeemToken } from "./download-tokens";
import { signDownloads } from "./service";

const params = z.object({
  token: z
    .string()
    .min(1)
    .max(200)
    .meta({ param: { name: "token", in: "path" } }),
});
const responses = {
  200: { description: "HEAD: the token is valid and unspent (nothing is spent, no URL is given)" },
  302: { description: "To a signed URL of the file (no-store)" },
  404: problemResponse("Not a token"),
  410: problemResponse("The token was already used or has expired"),
};

const make = (op: { path: string; operationId: string; summary: string }) =>
  createRoute({ method: "get", ...op, tags: ["public: delivery"], request: { params }, responses });

const redeem = make({
  path: "/delivery/download/{token}",
  operationId: "redeemDownloadToken",
  summary: "Redeem a one-time download token",
});
const legacy = make({
  path: "/admin/delivery/download/{token}",
  operationId: "redeemDownloadTokenLegacy",
  summary: "Redeem a one-time download token (the older path, kept for existing links; no admin credentials needed)",
});

export const tokenRedemptionRoutes = createRouter();
for (const route of [redeem, legacy]) {
  tokenRedemptionRoutes.openapi(route, async (c) => {
    const token = c.req.valid("param").token;
    const sign = (storageKey: string) =>
      signDownloads(c.var, [{ storageKey }], c.var.config.PRESIGN_TTL_DEFAULT_SECONDS, () => "token").catch((e: unknown) => {
        // The file was unpublished or removed after the token was made.
        if (e instanceof AppError && e.code === "NOT_FOUND")
          throw new AppError("GONE", "The file behind this token is no longer available.");
        throw e;
      });
    c.header("cache-control", "no-store");
    if (c.req.method === "HEAD") {
      await peekToken(c.var.redis, token, c.var.clock.now());
      return c.body(null, 200);
    }
    const signed = await redeemToken(c.var.redis, token, c.var.clock.now(), (r) => sign(r.storageKey));
    return c.redirect((signed[0] as { url: string }).url, 302);
  });
}
