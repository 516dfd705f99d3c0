// /api/v1/admin/admins: admin accounts (create with TOTP enrolment, list, disable/enable). A
// signed-in session only: X-Admin-Key is refused here (403).
import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { adminErrorResponses, mutationErrorResponses, problemResponse, SESSION_SECURITY, withLocation } from "../../http/openapi";
import { createRouter } from "../../http/router";
import { body, idempotencyHeaders, idParams } from "../../http/schemas";
import { auditContextOf } from "../audit/service";
import { createAdmin, listAdmins, MIN_PASSWORD_LENGTH, setAdminDisabled } from "./admins-service";
import { adminJson, adminSchema } from "./contract";
import { requireSession } from "./service";

const list = createRoute({
  method: "get",
  operationId: "listAdmins",
  path: "/admin/admins",
  tags: ["admin: accounts"],
  summary: "List admin accounts",
  security: SESSION_SECURITY,
  responses: {
    200: { description: "Admins", content: { "application/json": { schema: z.object({ items: z.array(adminSchema) }) } } },
    ...adminErrorResponses,
    403: problemResponse("The admin account is disabled, or the caller used X-Admin-Key (a signed-in session is needed)"),
  },
});

const create = createRoute({
  method: "post",
  operationId: "createAdmin",
  path: "/admin/admins",
  tags: ["admin: accounts"],
  summary: "Create an admin; the response shows its TOTP enrolment URI once",
  security: SESSION_SECURITY,
  request: {
    headers: idempotencyHeaders,
    ...body(z.object({ email: z.email().max(320), password: z.string().min(MIN_PASSWORD_LENGTH).max(1024) }).meta({ id: "CreateAdmin" })),
  },
  responses: {
    201: withLocation({
      description: "Created",
      content: {
        "application/json": {
          schema: z.object({ admin: adminSchema, otpauth_uri: z.string().describe("Scan into an authenticator app; not shown again") }),
        },
      },
    }),
    400: problemResponse("Invalid body"),
    ...mutationErrorResponses,
    403: problemResponse("The admin account is disabled, or the caller used X-Admin-Key (a signed-in session is needed)"),
  },
});

const patch = createRoute({
  method: "patch",
  operationId: "updateAdmin",
  path: "/admin/admins/{id}",
  tags: ["admin: accounts"],
  summary: "Disable or re-enable an admin (a disabled admin's sessions stop working at once)",
  security: SESSION_SECURITY,
  request: {
    params: idParams,
    headers: idempotencyHeaders,
    ...body(z.object({ disabled: z.boolean() }).meta({ id: "PatchAdmin" })),
  },
  responses: {
    200: { description: "Updated", content: { "application/json": { schema: adminSchema } } },
    400: problemResponse("Invalid body or id"),
    404: problemResponse("No such admin"),
    ...mutationErrorResponses,
    403: problemResponse("The admin account is disabled, or the caller used X-Admin-Key (a signed-in session is needed)"),
    409: problemResponse("The last enabled admin can't be disabled, or an Idempotency-Key conflict"),
  },
});

export const adminAccountRoutes = createRouter()
  .openapi(list, async (c) => {
    requireSession(c.var.actor);
    return c.json({ items: (await listAdmins(c.var.db)).map(adminJson) }, 200);
  })
  .openapi(create, async (c) => {
    requireSession(c.var.actor);
    const r = await createAdmin(c.var.db, c.var.config.TOTP_ENCRYPTION_KEY, c.req.valid("json"), auditContextOf(c.var));
    return c.json({ admin: adminJson(r.admin), otpauth_uri: r.otpauthUri }, 201, {
      "cache-control": "no-store",
      location: `/api/v1/admin/admins/${r.admin.id}`,
    });
  })
  .openapi(patch, async (c) => {
    requireSession(c.var.actor);
    const admin = await setAdminDisabled(c.var.db, c.req.valid("param").id, c.req.valid("json").disabled, auditContextOf(c.var));
    return c.json(adminJson(admin), 200);
  });
