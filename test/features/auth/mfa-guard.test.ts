// TOTP guessing once a password is known: at most five codes are evaluated per challenge and
// twenty per account an hour, however many requests arrive at once and however many challenges
// are opened; the code step is under the sign-in IP limit. "Evaluated" is read off the audit log:
// every code that was looked at and was wrong writes one auth.mfa_failed row.
import { env } from "cloudflare:test";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditLogs } from "../../../src/db/schema";
import { createApp } from "../../../src/http/app";
import { createRedis } from "../../../src/platform/redis";
import { config, currentCode, db, freshIp, loginChallenge, newAdmin, postJson, type TestAdmin } from "../../support/admin";
import { expectProblem } from "../../support/problem";

const wrongCode = async (a: TestAdmin) => ((await currentCode(a)) === "000000" ? "111111" : "000000");
const audited = async (a: TestAdmin, action: string) =>
  (
    await db
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.action, action), eq(auditLogs.resourceId, a.id)))
  ).length;
/** Each guess from an address of its own: the per-IP limit is not what is tested here. */
const guess = (challenge: string, code: string) => postJson("/admin/auth/mfa", { challenge, code }, { "cf-connecting-ip": freshIp() });

describe("MFA brute force", () => {
  it("300 concurrent wrong codes on one challenge: five are evaluated, then the challenge is gone", async () => {
    const a = await newAdmin();
    const challenge = await loginChallenge(a);
    const code = await wrongCode(a);
    const answers = await Promise.all(Array.from({ length: 300 }, () => guess(challenge, code)));
    expect(new Set(answers.map((r) => r.status))).toEqual(new Set([401]));
    expect(await audited(a, "auth.mfa_failed")).toBe(5);
    const late = await expectProblem(await guess(challenge, await currentCode(a)), 401, "UNAUTHORIZED");
    expect(late.detail).toMatch(/challenge/);
  });

  it("wrong codes count per account across challenges: twenty an hour, then an audited lock", async () => {
    const a = await newAdmin();
    const code = await wrongCode(a);
    const challenges = await Promise.all(Array.from({ length: 10 }, () => loginChallenge(a)));
    const answers = await Promise.all(challenges.flatMap((c) => Array.from({ length: 5 }, () => guess(c, code))));
    expect(await audited(a, "auth.mfa_failed")).toBe(20);
    const refused = answers.filter((r) => r.status === 429);
    expect(refused).toHaveLength(30);
    for (const r of refused) expect(Number(r.headers.get("retry-after"))).toBeGreaterThan(3000);
    expect(await audited(a, "auth.mfa_locked")).toBe(1);

    // Even the right code on a new challenge waits out the lock.
    const p = await expectProblem(await guess(await loginChallenge(a), await currentCode(a)), 429, "RATE_LIMITED");
    expect(p.detail).toMatch(/account/);
  });

  it("the code step counts against the sign-in limit of the caller's IP", async () => {
    const ip = freshIp();
    const statuses: number[] = [];
    for (let i = 0; i < 22; i++) {
      const r = await postJson(
        "/admin/auth/mfa",
        { challenge: `not-a-challenge-${i}-xxxxxxxx`, code: "123456" },
        { "cf-connecting-ip": ip },
      );
      statuses.push(r.status);
    }
    expect(statuses.slice(0, 20)).toEqual(Array(20).fill(401));
    expect(statuses.slice(20)).toEqual([429, 429]);
  });

  it("locks again for twice as long each time, logs one security line per lock under concurrency, and starts over after a sign-in", async () => {
    const a = await newAdmin();
    const lines: Record<string, unknown>[] = [];
    // Three codes a minute, so the escalation shows in seconds: 60, then 120.
    const app = createApp({ logSink: (line) => lines.push(JSON.parse(line) as Record<string, unknown>) });
    const e = { ...env, RATE_LIMIT_MFA_ACCOUNT: "3/1m" };
    const mfa = (challenge: string, code: string) =>
      app.request(
        "/api/v1/admin/auth/mfa",
        {
          method: "POST",
          headers: { "content-type": "application/json", "cf-connecting-ip": freshIp() },
          body: JSON.stringify({ challenge, code }),
        },
        e,
      );
    const redis = createRedis(config);
    // As if the lock and the window had run out (Redis keeps real time; the test does not wait an hour).
    const timePasses = () => redis.del(`mfa:lock:${a.id}`, `mfa:account:${a.id}`);
    const securityLines = () => lines.filter((l) => l.security === "admin_mfa_locked");
    const fillAndLock = async () => {
      const code = await wrongCode(a);
      const challenge = await loginChallenge(a);
      for (let i = 0; i < 3; i++) expect((await mfa(challenge, code)).status).toBe(401);
      // Twenty at once past the window: one of them starts the lock, all are refused.
      const next = await Promise.all(Array.from({ length: 4 }, () => loginChallenge(a)));
      const answers = await Promise.all(next.flatMap((c) => Array.from({ length: 5 }, () => mfa(c, code))));
      expect(new Set(answers.map((r) => r.status))).toEqual(new Set([429]));
      return Math.max(...answers.map((r) => Number(r.headers.get("retry-after"))));
    };

    expect(await fillAndLock()).toBe(60);
    expect(securityLines()).toHaveLength(1);
    expect(securityLines()[0]).toMatchObject({ level: "warn", admin_id: a.id, locked_seconds: 60, lock_count: 1 });
    // Locked: even the right code waits.
    await expectProblem(await mfa(await loginChallenge(a), await currentCode(a)), 429, "RATE_LIMITED");

    await timePasses();
    expect(await fillAndLock()).toBe(120);
    expect(securityLines()).toHaveLength(2);
    expect(securityLines()[1]).toMatchObject({ locked_seconds: 120, lock_count: 2 });
    expect(await audited(a, "auth.mfa_locked")).toBe(2);

    // A sign-in with the right code once the lock is over: the next lock is the window's length again.
    await timePasses();
    expect((await mfa(await loginChallenge(a), await currentCode(a))).status).toBe(200);
    await redis.del(`mfa:account:${a.id}`);
    expect(await fillAndLock()).toBe(60);
  });
});
