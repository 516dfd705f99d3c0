import { env } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { adminUsers, auditLogs, titles } from "../../../src/db/schema";
import { createApp } from "../../../src/http/app";
import type { AppEnv } from "../../../src/http/context";
import { idempotency } from "../../../src/http/middleware/idempotency";
import { sha256Hex } from "../../../src/lib/crypto/encoding";
import { AppError } from "../../../src/lib/errors";
import { createRedis } from "../../../src/platform/redis";
import { api, bearer, config, db, freshIp, newAdmin, signIn } from "../../support/admin";
import { adminClient, pseudoBytes } from "../../support/admin-client";
import { publishedMovieWith } from "../../support/delivery";
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

describe("Idempotency snapshots and fingerprints", () => {
  const redis = createRedis(config);
  /** Everything Redis holds for one Idempotency-Key, whoever's actor slot it is in. */
  const storedFor = async (key: string) => {
    const slots = await redis.keys(`idem:*:${await sha256Hex(key)}`);
    expect(slots).toHaveLength(1);
    return JSON.stringify(await redis.get(slots[0] ?? ""));
  };

  it("a new admin's TOTP seed is not kept readable in Redis, and the replay still returns it", async () => {
    const token = await signIn(await newAdmin());
    const key = crypto.randomUUID();
    const email = `seed-${crypto.randomUUID()}@moviesnow.test`;
    const first = await createAdminRequest(token, key, email, freshIp());
    expect(first.status).toBe(201);
    const created = (await first.json()) as { otpauth_uri: string };
    const seed = new URL(created.otpauth_uri).searchParams.get("secret") ?? "";
    expect(seed).toMatch(/^[A-Z2-7]{32}$/);
    const stored = await storedFor(key);
    expect(stored).not.toContain(seed);
    expect(stored).not.toContain("otpauth");
    expect(stored).not.toContain(email);

    const replay = await createAdminRequest(token, key, email, freshIp());
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(await replay.json()).toEqual(created);
  });

  it("minted download tokens are not kept readable in Redis", async () => {
    const { admin, assets } = await publishedMovieWith([{ kind: "ORIGINAL", filename: "a.mkv", bytes: pseudoBytes(100, 3) }]);
    const key = crypto.randomUUID();
    const body = { items: [{ asset_id: assets[0]?.id }], ttl_seconds: 600 };
    const minted = await admin.ok(
      201,
      admin.post<{ items: { token: string }[] }>("/admin/delivery/download-tokens/batch", body, { "idempotency-key": key }),
    );
    const token = minted.items[0]?.token ?? "";
    expect(token).not.toBe("");
    expect(await storedFor(key)).not.toContain(token);
    const again = await admin.post<{ items: { token: string }[] }>("/admin/delivery/download-tokens/batch", body, {
      "idempotency-key": key,
    });
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body.items[0]?.token).toBe(token);
  });

  it("the query string is part of the request: publish?force=true is not answered with an earlier publish's replay", async () => {
    const admin = adminClient(await signIn(await newAdmin()));
    const t = await admin.ok(201, admin.post<{ id: string }>("/admin/titles", { kind: "movie", name: `Force ${crypto.randomUUID()}` }));
    const key = crypto.randomUUID();
    // A movie with no media fails validation: publish without force is refused.
    await expectProblem(
      await admin.raw("POST", `/admin/titles/${t.id}/publish`, undefined, { "idempotency-key": key }),
      422,
      "UNPROCESSABLE",
    );
    const forced = await admin.raw("POST", `/admin/titles/${t.id}/publish?force=true`, undefined, { "idempotency-key": key });
    await expectProblem(forced, 422, "IDEMPOTENCY_KEY_REUSED");
    expect((await admin.get<{ title: { status: string } }>(`/admin/titles/${t.id}`)).body.title.status).toBe("draft");
  });

  it("a request that runs longer than the claim's lifetime keeps its claim: a repeat waits instead of running it again", async () => {
    const claimSeconds = 2;
    const actorId = crypto.randomUUID();
    let runs = 0;
    let release = () => {};
    const released = new Promise<void>((r) => {
      release = r;
    });
    const app = new Hono<AppEnv>()
      .use(async (c, next) => {
        c.set("redis", redis);
        c.set("config", { ...config, IDEMPOTENCY_CLAIM_SECONDS: claimSeconds, IDEMPOTENCY_WAIT_MS: 0 });
        c.set("actor", { kind: "admin", id: actorId, email: "slow@moviesnow.test", label: "slow", sessionId: "s", expiresAt: 0 });
        await next();
      })
      .onError((e) => Response.json({ code: e instanceof AppError ? e.code : "other" }, { status: e instanceof AppError ? e.status : 500 }))
      .use(idempotency)
      .post("/slow", async (c) => {
        runs++;
        if (runs === 1) await released;
        return c.json({ ran: runs }, 201);
      });
    const slowKey = crypto.randomUUID();
    const send = () => app.request("/slow", { method: "POST", headers: { "idempotency-key": slowKey }, body: "{}" });
    const first = send();
    // Three claim lifetimes: without a renewed claim, the key would be free again by now.
    await new Promise((r) => setTimeout(r, 3 * claimSeconds * 1000));
    const repeat = await send();
    expect(repeat.status).toBe(409);
    expect(await repeat.json()).toEqual({ code: "IDEMPOTENCY_IN_PROGRESS" });
    release();
    expect((await first).status).toBe(201);
    expect(runs).toBe(1);
  });
});

describe("Idempotency snapshots not sealed by this service", () => {
  it("a response kept in the clear (an earlier release's, or planted in Redis) is never replayed: 409, nothing runs", async () => {
    const adminKey = `key-${crypto.randomUUID()}`;
    const key = crypto.randomUUID();
    const name = `Planted ${crypto.randomUUID()}`;
    const body = JSON.stringify({ kind: "movie", name });
    const fingerprint = await sha256Hex(`POST /api/v1/admin/titles\n${body}`);
    await createRedis(config).set(
      `idem:api-key:${await sha256Hex(key)}`,
      { state: "done", fingerprint, status: 201, headers: { "content-type": "application/json" }, body: '{"kept":true}' },
      { ex: 60 },
    );
    const res = await createApp({ logSink: () => {} }).request(
      "/api/v1/admin/titles",
      { method: "POST", headers: { "x-admin-key": adminKey, "content-type": "application/json", "idempotency-key": key }, body },
      { ...env, ADMIN_API_KEY: adminKey },
    );
    const p = await expectProblem(res, 409, "CONFLICT");
    expect(p.detail).toMatch(/new key/);
    expect(res.headers.get("idempotent-replayed")).toBeNull();
    const [row] = await db.select().from(titles).where(eq(titles.name, name));
    expect(row).toBeUndefined();
  });
});
