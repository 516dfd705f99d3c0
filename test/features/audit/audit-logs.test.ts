import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditLogs } from "../../../src/db/schema";
import { auditInsert } from "../../../src/features/audit/service";
import { api, bearer, db, freshIp, newAdmin, signIn } from "../../support/admin";
import { expectProblem } from "../../support/problem";

interface Page {
  items: { id: number; action: string; actor: string; resource_id: string | null; request_id: string | null; ip: string | null }[];
  next_cursor: string | null;
}
const get = async (token: string, query: string) => {
  const res = await api(`/admin/audit-logs?${query}`, { headers: bearer(token) });
  expect(res.status).toBe(200);
  return (await res.json()) as Page;
};

describe("audit trail", () => {
  it("records every admin mutation with actor, request id and IP", async () => {
    const actor = await newAdmin();
    const token = await signIn(actor);
    const ip = freshIp();
    const created = await api("/admin/admins", {
      method: "POST",
      headers: { ...bearer(token), "content-type": "application/json", "x-request-id": "audit-create-1", "cf-connecting-ip": ip },
      body: JSON.stringify({ email: `audited-${crypto.randomUUID()}@moviesnow.test`, password: "a long enough password" }),
    });
    expect(created.status).toBe(201);
    const { admin } = (await created.json()) as { admin: { id: string } };
    for (const disabled of [true, false]) {
      const r = await api(`/admin/admins/${admin.id}`, {
        method: "PATCH",
        headers: { ...bearer(token), "content-type": "application/json", "cf-connecting-ip": ip },
        body: JSON.stringify({ disabled }),
      });
      expect(r.status).toBe(200);
    }
    const page = await get(token, `resource_id=${admin.id}`);
    expect(page.items.map((i) => i.action)).toEqual(["admin_user.enable", "admin_user.disable", "admin_user.create"]);
    for (const i of page.items) {
      expect(i.actor).toBe(`admin:${actor.email}`);
      expect(i.ip).toBe(ip);
    }
    expect(page.items[2]?.request_id).toBe("audit-create-1");
    expect((await get(token, "request_id=audit-create-1")).items.map((i) => i.resource_id)).toContain(admin.id);
  });

  it("a mutation that fails writes no audit row", async () => {
    const token = await signIn(await newAdmin());
    const missing = crypto.randomUUID();
    const r = await api(`/admin/admins/${missing}`, {
      method: "PATCH",
      headers: { ...bearer(token), "content-type": "application/json" },
      body: JSON.stringify({ disabled: true }),
    });
    await expectProblem(r, 404, "NOT_FOUND");
    expect(await db.select().from(auditLogs).where(eq(auditLogs.resourceId, missing))).toHaveLength(0);
  });

  it("pages newest first with a keyset cursor, no gaps and no repeats", async () => {
    const token = await signIn(await newAdmin());
    const resourceId = crypto.randomUUID();
    for (let i = 0; i < 7; i++) {
      await auditInsert(db, { actor: null, requestId: `page-${i}`, ip: null }, { action: "test.page", resourceType: "test", resourceId });
    }
    const seen: number[] = [];
    let cursor: string | null = "";
    while (cursor !== null) {
      const page: Page = await get(token, `resource_id=${resourceId}&limit=3${cursor ? `&cursor=${cursor}` : ""}`);
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.items.map((i) => i.id));
      cursor = page.next_cursor;
    }
    expect(seen).toHaveLength(7);
    expect([...seen].sort((a, b) => b - a)).toEqual(seen);
  });

  it("filters by action and time, and rejects a bad cursor or date by name", async () => {
    const token = await signIn(await newAdmin());
    const since = new Date(Date.now() + 3600_000).toISOString();
    expect((await get(token, `since=${encodeURIComponent(since)}`)).items).toEqual([]);
    const bad = await api("/admin/audit-logs?cursor=nope", { headers: bearer(token) });
    expect((await expectProblem(bad, 400, "VALIDATION_FAILED")).errors?.[0]?.path).toBe("query.cursor");
    const badDate = await api("/admin/audit-logs?since=yesterday", { headers: bearer(token) });
    expect((await expectProblem(badDate, 400, "VALIDATION_FAILED")).errors?.[0]?.path).toBe("query.since");
  });
});
