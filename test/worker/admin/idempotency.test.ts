import { env } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createRedis } from "../../../src/adapters/redis";
import { createApp } from "../../../src/app";
import { adminUsers, auditLogs } from "../../../src/db/schema";
import { sha256Hex } from "../../../src/lib/crypto/encoding";
import { api, bearer, config, db, freshIp, newAdmin, signIn } from "../../support/admin";
import { expectProblem } from "../../support/problem";

const createAdminRequest = (token: string, key: string, email: string, ip: string) =>
  api("/admin/admins", {
    method: "POST",
    headers: { ...bearer(token), "content-type": "application/json", "idempotency-key": key, "cf-connecting-ip": ip },
    body: JSON.stringify({ email, password: "a long enough password" }),
  });

describe("Idempotency-Key on admin mutations", () => {
  it("50 concurrent requests with one key run the mutation once and all get the same response", async () => {
    const token = await signIn(await newAdmin());
    const key = crypto.randomUUID();
    const email = `idem-${crypto.randomUUID()}@moviesnow.test`;
    const ip = freshIp();
    const responses = await Promise.all(Array.from({ length: 50 }, () => createAdminRequest(token, key, email, ip)));
    const bodies = await Promise.all(responses.map((r) => r.text()));
    expect(responses.map((r) => r.status)).toEqual(Array(50).fill(201));
    expect(new Set(bodies).size).toBe(1);
    expect(responses.filter((r) => r.headers.get("idempotent-replayed") === "true")).toHaveLength(49);
    expect(new Set(responses.map((r) => r.headers.get("location"))).size).toBe(1);

    const rows = await db.select().from(adminUsers).where(eq(adminUsers.email, email));
    expect(rows).toHaveLength(1);
    const audits = await db
      .select()
      .from(auditLogs)
      .where(eq(auditLogs.resourceId, rows[0]?.id ?? ""));
    expect(audits.map((a) => a.action)).toEqual(["admin_user.create"]);
  });

  it("the same key with a different body → 422, and nothing changes", async () => {
    const token = await signIn(await newAdmin());
    const key = crypto.randomUUID();
    const ip = freshIp();
    expect((await createAdminRequest(token, key, `a-${crypto.randomUUID()}@moviesnow.test`, ip)).status).toBe(201);
    const otherEmail = `b-${crypto.randomUUID()}@moviesnow.test`;
    await expectProblem(await createAdminRequest(token, key, otherEmail, ip), 422, "IDEMPOTENCY_KEY_REUSED");
    expect(await db.select().from(adminUsers).where(eq(adminUsers.email, otherEmail))).toHaveLength(0);
  });

  it("keys are per actor: another admin's identical key runs on its own", async () => {
    const [t1, t2] = await Promise.all([signIn(await newAdmin()), signIn(await newAdmin())]);
    const key = crypto.randomUUID();
    const r1 = await createAdminRequest(t1, key, `p1-${crypto.randomUUID()}@moviesnow.test`, freshIp());
    const r2 = await createAdminRequest(t2, key, `p2-${crypto.randomUUID()}@moviesnow.test`, freshIp());
    expect([r1.status, r2.status]).toEqual([201, 201]);
    expect(r2.headers.get("idempotent-replayed")).toBeNull();
  });

  it("while the first request is still running, a repeat answers 409 once its wait is over", async () => {
    const adminKey = `key-${crypto.randomUUID()}`;
    const key = crypto.randomUUID();
    const body = JSON.stringify({ email: `run-${crypto.randomUUID()}@moviesnow.test`, password: "a long enough password" });
    // The first request, as a crashed or slow worker would leave it: claimed, not finished.
    const redis = createRedis(config);
    const fingerprint = await sha256Hex(`POST /api/v1/admin/admins\n${body}`);
    await redis.set(`idem:api-key:${await sha256Hex(key)}`, { state: "running", fingerprint }, { ex: 60 });

    const res = await createApp({ logSink: () => {} }).request(
      "/api/v1/admin/admins",
      { method: "POST", headers: { "x-admin-key": adminKey, "content-type": "application/json", "idempotency-key": key }, body },
      { ...env, ADMIN_API_KEY: adminKey, IDEMPOTENCY_WAIT_MS: "200" },
    );
    await expectProblem(res, 409, "IDEMPOTENCY_IN_PROGRESS");
  });

  it("a malformed key is a validation error naming the header", async () => {
    const token = await signIn(await newAdmin());
    const res = await createAdminRequest(token, "has spaces in it", `m-${crypto.randomUUID()}@x.test`, freshIp());
    const p = await expectProblem(res, 400, "VALIDATION_FAILED");
    expect(p.errors?.[0]?.path).toBe("header.idempotency-key");
  });
});
