// Sign-in limits under attack: counted before the password is checked (concurrent guesses can't
// outrun them), IPv6 clients counted by /64, and no way for a guesser to lock an admin out of the
// networks they work from.
import { env } from "cloudflare:test";
import { and, eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditLogs } from "../../../src/db/schema";
import { createApp } from "../../../src/http/app";
import { clientNetwork } from "../../../src/lib/client-network";
import { currentCode, db, freshIp, newAdmin, type TestAdmin } from "../../support/admin";
import { expectProblem } from "../../support/problem";

const app = createApp({ logSink: () => {} });
const send = (vars: Record<string, string>, path: string, body: unknown, ip: string) =>
  app.request(
    `/api/v1${path}`,
    { method: "POST", headers: { "content-type": "application/json", "cf-connecting-ip": ip }, body: JSON.stringify(body) },
    { ...env, ...vars },
  );
/** An IPv6 /64 of its own: 2001:db8:xxxx:xxxx::/64, and addresses in it. */
const fresh64 = () => {
  const [a = 0, b = 0, c = 0, d = 0] = crypto.getRandomValues(new Uint8Array(4));
  const prefix = `2001:db8:${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  return (n: number) => `${prefix}:${n.toString(16)}:${(n * 7).toString(16)}::${(n + 1).toString(16)}`;
};
const failedLogins = async (email: string) =>
  (
    await db
      .select({ n: sql<number>`count(*)::int` })
      .from(auditLogs)
      .where(and(eq(auditLogs.action, "auth.login_failed"), sql`${auditLogs.details}->>'email' = ${email}`))
  )[0]?.n ?? 0;

async function fullSignIn(vars: Record<string, string>, a: TestAdmin, ip: string): Promise<Response> {
  const r = await send(vars, "/admin/auth/login", { email: a.email, password: a.password }, ip);
  if (r.status !== 200) return r;
  const { challenge } = (await r.json()) as { challenge: string };
  return send(vars, "/admin/auth/mfa", { challenge, code: await currentCode(a) }, ip);
}

describe("sign-in limits", () => {
  it("30 concurrent wrong passwords for one account from one network: at most 5 are checked", async () => {
    const a = await newAdmin();
    const ip = freshIp();
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) => send({}, "/admin/auth/login", { email: a.email, password: `wrong-${i}` }, ip)),
    );
    const statuses = answers.map((r) => r.status);
    for (const r of answers) await r.body?.cancel();
    expect(statuses.filter((s) => s !== 401 && s !== 429)).toEqual([]);
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(5);
    expect(await failedLogins(a.email)).toBeLessThanOrEqual(5);
  });

  it("an IPv6 client is one client across its /64: rotating addresses does not escape the limit", async () => {
    expect(clientNetwork("2001:db8:a:b:1:2:3:4")).toBe("2001:db8:a:b::/64");
    expect(clientNetwork("2001:0db8:000a:000b::9")).toBe("2001:db8:a:b::/64");
    expect(clientNetwork("::ffff:192.0.2.7")).toBe("192.0.2.7");
    const in64 = fresh64();
    const vars = { RATE_LIMIT_LOGIN_IP: "3/15m" };
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await send(vars, "/admin/auth/login", { email: `nobody-${crypto.randomUUID()}@moviesnow.test`, password: "x" }, in64(i));
      statuses.push(r.status);
      await r.body?.cancel();
    }
    expect(statuses).toEqual([401, 401, 401, 429]);
    // The same holds for public limits (presigning here).
    const presign = fresh64();
    const public4: number[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await send({ RATE_LIMIT_PRESIGN: "3/60s" }, "/delivery/download-url", { storage_key: "nope" }, presign(i));
      public4.push(r.status);
      await r.body?.cancel();
    }
    expect(public4.slice(0, 3).every((s) => s !== 429)).toBe(true);
    expect(public4[3]).toBe(429);
  });

  it("a distributed guess is stopped past the account-wide limit, while the admin still signs in from a network they used before", async () => {
    const a = await newAdmin();
    const vars = { RATE_LIMIT_LOGIN_ACCOUNT_ALL: "3/1h" };
    const home = freshIp();
    expect((await fullSignIn(vars, a, home)).status).toBe(200);

    for (let i = 0; i < 3; i++) {
      await expectProblem(
        await send(vars, "/admin/auth/login", { email: a.email, password: `guess-${i}` }, freshIp()),
        401,
        "UNAUTHORIZED",
      );
    }
    // A fourth network, even with the right password: refused before the password is looked at.
    const stranger = await send(vars, "/admin/auth/login", { email: a.email, password: a.password }, freshIp());
    await expectProblem(stranger, 429, "RATE_LIMITED");
    expect(Number(stranger.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await failedLogins(a.email)).toBe(3);
    // From home, the admin signs in.
    const back = await send(vars, "/admin/auth/login", { email: a.email, password: a.password }, home);
    expect(back.status).toBe(200);
  });
});
