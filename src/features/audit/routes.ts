// /api/v1/admin/audit-logs: the audit trail, newest first, filtered, keyset-paginated.
import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { ADMIN_SECURITY, adminErrorResponses, problemResponse } from "../../http/openapi";
import { createRouter } from "../../http/router";
import { fromWire } from "../../lib/wire";
import { auditEntryJson, auditEntrySchema } from "./contract";
import { listAuditLogs } from "./service";

const route = createRoute({
  method: "get",
  operationId: "listAuditLogs",
  path: "/admin/audit-logs",
  tags: ["admin: audit"],
  summary: "Audit trail with filters and keyset pagination",
  security: ADMIN_SECURITY,
  request: {
    query: z.object({
      actor: z.string().max(400).optional(),
      action: z.string().max(100).optional(),
      resource_type: z.string().max(100).optional(),
      resource_id: z.string().max(200).optional(),
      request_id: z.string().max(128).optional(),
      since: z.iso.datetime({ offset: true }).optional(),
      until: z.iso.datetime({ offset: true }).optional(),
      limit: z.coerce.number().int().min(1).max(200).default(50),
      cursor: z.string().max(100).optional().describe("next_cursor of the previous page"),
    }),
  },
  responses: {
    200: {
      description: "A page of entries, newest first",
      content: {
        "application/json": {
          schema: z.object({ items: z.array(auditEntrySchema), next_cursor: z.string().nullable() }).meta({ id: "AuditLogPage" }),
        },
      },
    },
    400: problemResponse("Invalid filter or cursor"),
    ...adminErrorResponses,
  },
});

export const auditLogRoutes = createRouter().openapi(route, async (c) => {
  const q = c.req.valid("query");
  const page = await listAuditLogs(c.var.db, {
    ...fromWire(q),
    since: q.since ? new Date(q.since) : undefined,
    until: q.until ? new Date(q.until) : undefined,
  });
  return c.json(
    {
      items: page.items.map(auditEntryJson),
      next_cursor: page.nextCursor,
    },
    200,
  );
});
