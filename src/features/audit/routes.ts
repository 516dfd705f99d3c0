// /api/v1/admin/audit-logs: the audit trail, newest first, filtered, keyset-paginated.
import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { ADMIN_SECURITY, adminErrorResponses, problemResponse } from "../../http/openapi";
import { createRouter } from "../../http/router";
import { listAuditLogs } from "./service";

const entry = z
  .object({
    id: z.number().int(),
    at: z.string(),
    actor: z.string(),
    action: z.string(),
    resource_type: z.string(),
    resource_id: z.string().nullable(),
    request_id: z.string().nullable(),
    ip: z.string().nullable(),
    details: z.record(z.string(), z.unknown()),
  })
  .meta({ id: "AuditLogEntry" });

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
          schema: z.object({ items: z.array(entry), next_cursor: z.string().nullable() }).meta({ id: "AuditLogPage" }),
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
    actor: q.actor,
    action: q.action,
    resourceType: q.resource_type,
    resourceId: q.resource_id,
    requestId: q.request_id,
    since: q.since ? new Date(q.since) : undefined,
    until: q.until ? new Date(q.until) : undefined,
    limit: q.limit,
    cursor: q.cursor,
  });
  return c.json(
    {
      items: page.items.map((r) => ({
        id: r.id,
        at: r.at.toISOString(),
        actor: r.actor,
        action: r.action,
        resource_type: r.resourceType,
        resource_id: r.resourceId,
        request_id: r.requestId,
        ip: r.ip,
        details: r.details,
      })),
      next_cursor: page.nextCursor,
    },
    200,
  );
});
