// /api/v1/admin/auth/*: sign-in (password, then TOTP), sign-out, who am I.
import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { ADMIN_SECURITY, adminErrorResponses, problemResponse } from "../../http/openapi";
import { createRouter } from "../../http/router";
import { json } from "../../http/schemas";
import { auditContextOf } from "../audit/service";
import { completeMfa, login, logout } from "./service";

const loginRoute = createRoute({
  method: "post",
  operationId: "startSignIn",
  path: "/admin/auth/login",
  tags: ["admin: auth"],
  summary: "Step 1: email and password → a short-lived MFA challenge",
  request: {
    body: {
      required: true,
      ...json(z.object({ email: z.email().max(320), password: z.string().min(1).max(1024) }).meta({ id: "LoginRequest" })),
    },
  },
  responses: {
    200: {
      description: "Password accepted; complete sign-in with /admin/auth/mfa",
      ...json(z.object({ challenge: z.string(), expires_in: z.number().int(), mfa: z.literal("totp") }).meta({ id: "LoginChallenge" })),
    },
    400: problemResponse("Malformed request"),
    401: problemResponse("Invalid email or password (the same answer for an unknown email)"),
    403: problemResponse("The account is disabled"),
    429: problemResponse("Too many attempts from this IP or against this account"),
    503: problemResponse("Rate limiting is unavailable, so sign-in is refused"),
  },
});

const mfaRoute = createRoute({
  method: "post",
  operationId: "completeSignIn",
  path: "/admin/auth/mfa",
  tags: ["admin: auth"],
  summary: "Step 2: challenge and a 6-digit TOTP code → a 15-minute session token",
  request: {
    body: {
      required: true,
      ...json(
        z
          .object({ challenge: z.string().min(16).max(128), code: z.string().regex(/^\d{6}$/, "must be 6 digits") })
          .meta({ id: "MfaRequest" }),
      ),
    },
  },
  responses: {
    200: {
      description: "Signed in",
      ...json(
        z.object({ access_token: z.string(), token_type: z.literal("Bearer"), expires_in: z.number().int() }).meta({ id: "AdminSession" }),
      ),
    },
    400: problemResponse("Malformed request"),
    401: problemResponse("Invalid or expired challenge, wrong code, a code already used, or the challenge's five codes spent"),
    403: problemResponse("The account is disabled"),
    429: problemResponse(
      "Too many attempts from this IP, or too many codes for this account (a lock that doubles each time); see Retry-After",
    ),
  },
});

const logoutRoute = createRoute({
  method: "post",
  operationId: "signOut",
  path: "/admin/auth/logout",
  tags: ["admin: auth"],
  summary: "Revoke the current session token",
  security: ADMIN_SECURITY,
  responses: { 204: { description: "Signed out" }, 400: problemResponse("The admin key has no session"), ...adminErrorResponses },
});

const meRoute = createRoute({
  method: "get",
  operationId: "getCurrentAdmin",
  path: "/admin/auth/me",
  tags: ["admin: auth"],
  summary: "Who the credentials belong to",
  security: ADMIN_SECURITY,
  responses: {
    200: {
      description: "The acting admin or the automation key",
      ...json(
        z
          .object({
            kind: z.enum(["admin", "api_key"]),
            id: z.string(),
            email: z.string().nullable(),
            session_expires_at: z.string().nullable(),
          })
          .meta({ id: "AdminIdentity" }),
      ),
    },
    ...adminErrorResponses,
  },
});

export const adminAuthRoutes = createRouter()
  .openapi(loginRoute, async (c) => {
    const r = await login({ ...c.var, limiter: c.var.limiter }, c.req.valid("json"), auditContextOf(c.var));
    return c.json({ challenge: r.challenge, expires_in: r.expiresIn, mfa: "totp" as const }, 200, { "cache-control": "no-store" });
  })
  .openapi(mfaRoute, async (c) => {
    const r = await completeMfa(c.var, c.req.valid("json"), auditContextOf(c.var));
    return c.json({ access_token: r.accessToken, token_type: "Bearer" as const, expires_in: r.expiresIn }, 200, {
      "cache-control": "no-store",
    });
  })
  .openapi(logoutRoute, async (c) => {
    const actor = c.var.actor;
    if (actor) await logout(c.var, actor, auditContextOf(c.var));
    return c.body(null, 204);
  })
  .openapi(meRoute, (c) => {
    const a = c.var.actor;
    return c.json(
      {
        kind: a?.kind ?? "api_key",
        id: a?.id ?? "",
        email: a?.kind === "admin" ? a.email : null,
        session_expires_at: a?.kind === "admin" ? new Date(a.expiresAt * 1000).toISOString() : null,
      },
      200,
    );
  });
