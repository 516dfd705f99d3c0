// TOTP guessing once a password is known: at most five codes are evaluated per challenge and
// twenty per account an hour, however many requests arrive at once and however many challenges
// are opened; the code step is under the sign-in IP limit. "Evaluated" is read off the audit log:
// every code that was looked at and was wrong writes one auth.mfa_failed row.
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditLogs } from "../../../src/db/schema";
import { currentCode, db, freshIp, loginChallenge, newAdmin, postJson, type TestAdmin } from "../../support/admin";
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

  it("wrong codes count per account across challenges: twenty an hour, then an audited cool-down", async () => {
    const a = await newAdmin();
    const code = await wrongCode(a);
    const challenges = await Promise.all(Array.from({ length: 10 }, () => loginChallenge(a)));
    const answers = await Promise.all(challenges.flatMap((c) => Array.from({ length: 5 }, () => guess(c, code))));
    expect(await audited(a, "auth.mfa_failed")).toBe(20);
    const refused = answers.filter((r) => r.status === 429);
    expect(refused).toHaveLength(30);
    for (const r of refused) expect(Number(r.headers.get("retry-after"))).toBeGreaterThan(3000);
    expect(await audited(a, "auth.mfa_locked")).toBe(1);

    // Even the right code on a new challenge waits out the cool-down.
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
});
