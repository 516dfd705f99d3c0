// Every admin route: a valid MFA session (Bearer) or, when configured, the automation key.
import { createMiddleware } from "hono/factory";
import { authenticate } from "../../features/auth/service";
import type { AppEnv } from "../context";

export const adminAuth = createMiddleware<AppEnv>(async (c, next) => {
  const auth = c.req.header("authorization");
  const bearer = auth?.match(/^Bearer\s+(\S+)$/i)?.[1];
  const actor = await authenticate(c.var, { bearer, adminKey: c.req.header("x-admin-key") });
  c.set("actor", actor);
  await next();
});
