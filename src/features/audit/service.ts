// Audit rows: built as an insert that the caller puts in the same db.batch as its change, so
// the change and its record commit or fail together.
import { and, desc, eq, gte, lt, lte, type SQL } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { auditLogs } from "../../db/schema";
import { AppError } from "../../lib/errors";
import type { Database } from "../../platform/db";
import type { Actor } from "./actor";

export interface AuditContext {
  actor: Actor | null;
  requestId: string;
  ip: string | null;
}

export interface AuditEvent {
  action: string;
  resourceType: string;
  resourceId?: string | null;
  details?: Record<string, unknown>;
}

export const actorLabel = (a: Actor | null) => (a ? a.label : "anonymous");

export function auditInsert(db: Database, ctx: AuditContext, e: AuditEvent) {
  return db.insert(auditLogs).values({
    actor: actorLabel(ctx.actor),
    action: e.action,
    resourceType: e.resourceType,
    resourceId: e.resourceId ?? null,
    requestId: ctx.requestId,
    ip: ctx.ip,
    details: e.details ?? {},
  });
}

/**
 * A write and its audit row in one database batch (they commit or fail together); the write's
 * result. `resource` is what was changed: its type and id.
 */
export async function audited<W extends BatchItem<"pg">>(
  db: Database,
  write: W,
  ctx: AuditContext,
  action: string,
  [resourceType, resourceId]: readonly [string, string | null],
  details: Record<string, unknown> = {},
): Promise<W["_"]["result"]> {
  const [result] = await db.batch([write, auditInsert(db, ctx, { action, resourceType, resourceId, details })]);
  return result;
}

export interface AuditQuery {
  actor?: string | undefined;
  action?: string | undefined;
  resourceType?: string | undefined;
  resourceId?: string | undefined;
  requestId?: string | undefined;
  since?: Date | undefined;
  until?: Date | undefined;
  limit: number;
  cursor?: string | undefined;
}

// Pages go newest first, keyed on the bigserial id (insertion order). Timestamps are not used
// for the key: Postgres keeps microseconds, a JS Date only milliseconds.
const encodeCursor = (id: number) => btoa(`a:${id}`).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
function decodeCursor(c: string): number {
  try {
    const m = atob(c.replace(/-/g, "+").replace(/_/g, "/")).match(/^a:(\d+)$/);
    if (!m) throw new Error();
    return Number(m[1]);
  } catch {
    throw new AppError("VALIDATION_FAILED", "query.cursor: not a cursor this endpoint returned", {
      errors: [{ path: "query.cursor", message: "not a cursor this endpoint returned" }],
    });
  }
}

export async function listAuditLogs(db: Database, q: AuditQuery) {
  const where: SQL[] = [];
  if (q.actor) where.push(eq(auditLogs.actor, q.actor));
  if (q.action) where.push(eq(auditLogs.action, q.action));
  if (q.resourceType) where.push(eq(auditLogs.resourceType, q.resourceType));
  if (q.resourceId) where.push(eq(auditLogs.resourceId, q.resourceId));
  if (q.requestId) where.push(eq(auditLogs.requestId, q.requestId));
  if (q.since) where.push(gte(auditLogs.at, q.since));
  if (q.until) where.push(lte(auditLogs.at, q.until));
  if (q.cursor) where.push(lt(auditLogs.id, decodeCursor(q.cursor)));
  const rows = await db
    .select()
    .from(auditLogs)
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(auditLogs.id))
    .limit(q.limit + 1);
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  return { items: page, nextCursor: rows.length > q.limit && last ? encodeCursor(last.id) : null };
}

/** The audit context of a request, from its typed context variables. */
export const auditContextOf = (v: { actor: Actor | null; requestId: string; clientIp: string | null }): AuditContext => ({
  actor: v.actor,
  requestId: v.requestId,
  ip: v.clientIp,
});
