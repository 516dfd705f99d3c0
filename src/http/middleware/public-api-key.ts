// When PUBLIC_API_KEY is set, public endpoints need it in X-API-Key.
import { createMiddleware } from "hono/factory";
import { constantTimeEqual } from "../../lib/crypto/encoding";
import { AppError } from "../../lib/errors";
import type { AppEnv } from "../context";

export const publicApiKey = createMiddleware<AppEnv>(async (c, next) => {
  const required = c.var.config.PUBLIC_API_KEY;
  if (required) {
    const given = c.req.header("x-api-key");
    if (given === undefined) throw new AppError("UNAUTHORIZED", "This API needs an X-API-Key header.");
    if (!(await constantTimeEqual(given, required))) throw new AppError("UNAUTHORIZED", "Invalid X-API-Key.");
  }
  await next();
});
