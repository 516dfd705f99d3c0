import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { adminUsers, auditLogs } from "../../../src/db/schema";
import { setAdminDisabled } from "../../../src/features/auth/admins-service";
import { api, bearer, currentCode, db, freshIp, loginChallenge, newAdmin, postJson, signIn } from "../../support/admin";
import { legacyHash } from "../../support/legacy-password";
import { expectProblem } from "../../support/problem";

describe("admin sign-in: password, then TOTP", () => {
  it("happy path: challenge, session token, who-am-I, sign-out", async () => {
    const a = await newAdmin();
    const ip = freshIp();
    const login = await postJson("/admin/auth/login", { email: a.email.toUpperCase(), password: a.password }, { "cf-connecting-ip": ip });
    expect(login.status).toBe(200);
    expect(login.headers.get("cache-control")).toBe("no-store");
    const { challenge, expires_in } = (await login.json()) as { challenge: string; expires_in: number };
    expect(expires_in).toBe(300);

    const mfa = await postJson("/admin/auth/mfa", { challenge, code: await currentCode(a) }, { "cf-connecting-ip": ip });
    expect(mfa.status).toBe(200);
    const session = (await mfa.json()) as { access_token: string; token_type: string; expires_in: number };
    expect(session).toMatchObject({ token_type: "Bearer", expires_in: 900 });
    const [, payload] = session.access_token.split(".");
    const claims = JSON.parse(atob((payload ?? "").replace(/-/g, "+").replace(/_/g, "/")));
    expect(claims.amr).toContain("otp");
    expect(claims.exp - claims.iat).toBe(900);

    const me = await api("/admin/auth/me", { headers: bearer(session.access_token) });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ kind: "admin", id: a.id, email: a.email });

    expect((await api("/admin/auth/logout", { method: "POST", headers: bearer(session.access_token) })).status).toBe(204);
    await expectProblem(await api("/admin/auth/me", { headers: bearer(session.access_token) }), 401, "UNAUTHORIZED");

    const actions = (await db.select().from(auditLogs).where(eq(auditLogs.resourceId, a.id))).map((r) => r.action);
    expect(actions).toEqual(expect.arrayContaining(["admin_user.create", "auth.login", "auth.mfa", "auth.logout"]));
  });

  it("a TOTP code (its time step) can't be used twice, even through a new challenge", async () => {
    const a = await newAdmin();
    const code = await currentCode(a);
    const first = await postJson("/admin/auth/mfa", { challenge: await loginChallenge(a), code }, { "cf-connecting-ip": freshIp() });
    expect(first.status).toBe(200);
    const replay = await postJson("/admin/auth/mfa", { challenge: await loginChallenge(a), code }, { "cf-connecting-ip": freshIp() });
    const p = await expectProblem(replay, 401, "UNAUTHORIZED");
    expect(p.detail).toMatch(/already been used/);
    // An older step than the one spent is refused too.
    const older = await postJson(
      "/admin/auth/mfa",
      { challenge: await loginChallenge(a), code: await currentCode(a, -1) },
      { "cf-connecting-ip": freshIp() },
    );
    await expectProblem(older, 401, "UNAUTHORIZED");
  });

  it("concurrent submissions of one code: exactly one session", async () => {
    const a = await newAdmin();
    const code = await currentCode(a);
    const challenges = await Promise.all(Array.from({ length: 5 }, () => loginChallenge(a)));
    const results = await Promise.all(
      challenges.map((challenge) => postJson("/admin/auth/mfa", { challenge, code }, { "cf-connecting-ip": freshIp() })),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 401, 401, 401, 401]);
  });

  it("a wrong code is refused; five wrong codes burn the challenge", async () => {
    const a = await newAdmin();
    const challenge = await loginChallenge(a);
    const wrong = (await currentCode(a)) === "000000" ? "111111" : "000000";
    for (let i = 0; i < 5; i++)
      await expectProblem(
        await postJson("/admin/auth/mfa", { challenge, code: wrong }, { "cf-connecting-ip": freshIp() }),
        401,
        "UNAUTHORIZED",
      );
    const p = await expectProblem(
      await postJson("/admin/auth/mfa", { challenge, code: await currentCode(a) }, { "cf-connecting-ip": freshIp() }),
      401,
      "UNAUTHORIZED",
    );
    expect(p.detail).toMatch(/challenge/);
  });

  it("wrong password and unknown email get the same answer", async () => {
    const a = await newAdmin();
    const wrong = await postJson("/admin/auth/login", { email: a.email, password: "not the password" }, { "cf-connecting-ip": freshIp() });
    const unknown = await postJson(
      "/admin/auth/login",
      { email: `nobody-${crypto.randomUUID()}@x.test`, password: "whatever" },
      { "cf-connecting-ip": freshIp() },
    );
    const pw = await expectProblem(wrong, 401, "UNAUTHORIZED");
    const un = await expectProblem(unknown, 401, "UNAUTHORIZED");
    expect(pw.detail).toBe(un.detail);
    expect(pw.title).toBe(un.title);
  });

  it("the sixth attempt for one account from one network is limited (429 + Retry-After), yet the admin still signs in from another", async () => {
    const a = await newAdmin();
    const guesser = freshIp();
    for (let i = 0; i < 5; i++) {
      const r = await postJson("/admin/auth/login", { email: a.email, password: `wrong-${i}` }, { "cf-connecting-ip": guesser });
      await expectProblem(r, 401, "UNAUTHORIZED");
    }
    const sixth = await postJson("/admin/auth/login", { email: a.email, password: a.password }, { "cf-connecting-ip": guesser });
    await expectProblem(sixth, 429, "RATE_LIMITED");
    expect(Number(sixth.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(sixth.headers.get("ratelimit-limit")).toBe("5");
    expect(sixth.headers.get("ratelimit-remaining")).toBe("0");
    // Knowing the email is not enough to lock its admin out: from a clean address they get in.
    expect(await loginChallenge(a, freshIp())).toMatch(/^[\w-]{43}$/);
  });

  it("successful sign-ins don't count against the account", async () => {
    const a = await newAdmin();
    for (let i = 0; i < 7; i++) await loginChallenge(a);
  });

  it("a disabled admin can't sign in", async () => {
    const a = await newAdmin();
    await setAdminDisabled(db, a.id, true, { actor: null, requestId: "test", ip: null });
    await expectProblem(await postJson("/admin/auth/login", { email: a.email, password: a.password }), 403, "FORBIDDEN");
  });

  it("validation errors name the field", async () => {
    const p = await expectProblem(
      await postJson("/admin/auth/mfa", { challenge: "x".repeat(20), code: "12ab56" }, { "cf-connecting-ip": freshIp() }),
      400,
      "VALIDATION_FAILED",
    );
    expect(p.errors).toEqual([expect.objectContaining({ path: "json.code" })]);
    const bad = await api("/admin/auth/login", { method: "POST", headers: { "content-type": "application/json" }, body: "{not json" });
    await expectProblem(bad, 400, "BAD_REQUEST");
  });

  it("the TOTP secret is stored encrypted", async () => {
    const a = await newAdmin();
    const [row] = await db.select().from(adminUsers).where(eq(adminUsers.id, a.id));
    expect(row?.totpSecretEnc).toMatch(/^v1:/);
    expect(row?.totpSecretEnc).not.toContain(a.totpSecret);
    expect(row?.passwordHash).not.toContain(a.password);
  });
});

describe("signIn helper", () => {
  it("yields a token that works", async () => {
    const token = await signIn(await newAdmin());
    expect((await api("/admin/auth/me", { headers: bearer(token) })).status).toBe(200);
  });

  it("an admin whose hash predates the pepper signs in, and from then on their hash is peppered", async () => {
    const a = await newAdmin();
    await db
      .update(adminUsers)
      .set({ passwordHash: await legacyHash(a.password) })
      .where(eq(adminUsers.id, a.id));
    await expectProblem(await postJson("/admin/auth/login", { email: a.email, password: "not the password" }), 401, "UNAUTHORIZED");
    const [before] = await db.select().from(adminUsers).where(eq(adminUsers.id, a.id));
    expect(before?.passwordHash).toMatch(/^pbkdf2-sha256\$/);
    expect(await signIn(a)).toBeTruthy();
    const [after] = await db.select().from(adminUsers).where(eq(adminUsers.id, a.id));
    expect(after?.passwordHash).toMatch(/^pbkdf2-sha256-pepper1\$100000\$/);
    // The new hash takes the same password (the code step was spent above; the password step is the point).
    expect(await loginChallenge(a)).toBeTruthy();
  });
});
