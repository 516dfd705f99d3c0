import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../../../src/http/app";
import { totpCode, totpStep } from "../../../src/lib/crypto/totp";
import { freshIp, newAdmin } from "../../support/admin";

describe("logs", () => {
  it("never contain passwords, TOTP codes or secrets, challenges, session tokens or the admin key", async () => {
    const lines: string[] = [];
    const app = createApp({ logSink: (l) => lines.push(l) });
    const adminKey = `admin-key-${crypto.randomUUID()}`;
    const e = { ...env, ADMIN_API_KEY: adminKey };
    const a = await newAdmin();
    const json = (body: unknown, headers: Record<string, string> = {}) => ({
      method: "POST",
      headers: { "content-type": "application/json", "cf-connecting-ip": freshIp(), ...headers },
      body: JSON.stringify(body),
    });

    await app.request("/api/v1/admin/auth/login", json({ email: a.email, password: "wrong password here" }), e);
    const login = await app.request("/api/v1/admin/auth/login", json({ email: a.email, password: a.password }), e);
    const { challenge } = (await login.json()) as { challenge: string };
    const code = await totpCode(a.totpSecret, totpStep(new Date()));
    const mfa = await app.request("/api/v1/admin/auth/mfa", json({ challenge, code }), e);
    const { access_token } = (await mfa.json()) as { access_token: string };
    await app.request("/api/v1/admin/auth/me", { headers: { authorization: `Bearer ${access_token}` } }, e);
    await app.request("/api/v1/admin/auth/me", { headers: { authorization: `Bearer ${access_token}x` } }, e);
    const newPassword = `new-admin-password-${crypto.randomUUID()}`;
    const created = await app.request(
      "/api/v1/admin/admins",
      json({ email: `logged-${crypto.randomUUID()}@moviesnow.test`, password: newPassword }, { authorization: `Bearer ${access_token}` }),
      e,
    );
    const { otpauth_uri } = (await created.json()) as { otpauth_uri: string };
    const newSecret = new URL(otpauth_uri).searchParams.get("secret") ?? "";
    await app.request("/api/v1/admin/auth/me", { headers: { "x-admin-key": `${adminKey}-wrong` } }, e);

    expect(lines.length).toBeGreaterThanOrEqual(7);
    const all = lines.join("\n");
    for (const secret of [
      a.password,
      "wrong password here",
      code,
      a.totpSecret,
      challenge,
      access_token,
      adminKey,
      newPassword,
      newSecret,
    ]) {
      expect(secret.length).toBeGreaterThan(5);
      expect(all).not.toContain(secret);
    }
  });
});
