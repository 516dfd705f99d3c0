// Admin fixtures for Worker tests: a fresh admin per call (unique email, so TOTP steps never
// collide between tests), sign-in through the real endpoints, and authenticated requests.
import { env, SELF } from "cloudflare:test";
import { createDb } from "../../src/adapters/db";
import { parseEnv } from "../../src/env";
import { totpCode, totpStep } from "../../src/lib/crypto/totp";
import { createAdmin } from "../../src/services/admins";

export const config = parseEnv(env);
export const { db } = createDb(config);

export interface TestAdmin {
  id: string;
  email: string;
  password: string;
  totpSecret: string;
}

let ipCounter = 0;
/** A client address of its own, so per-IP limits of one test never touch another's. */
export const freshIp = () => {
  ipCounter += 1;
  const r = crypto.getRandomValues(new Uint8Array(2));
  return `198.18.${(r[0] ?? 0) ^ (ipCounter & 0xff)}.${r[1] ?? 0}`;
};

export async function newAdmin(overrides: Partial<Pick<TestAdmin, "email" | "password">> = {}): Promise<TestAdmin> {
  const email = overrides.email ?? `admin-${crypto.randomUUID()}@moviesnow.test`;
  const password = overrides.password ?? `pw-${crypto.randomUUID()}`;
  const r = await createAdmin(db, config.TOTP_ENCRYPTION_KEY, { email, password }, { actor: null, requestId: "test-fixture", ip: null });
  return { id: r.admin.id, email, password, totpSecret: r.totpSecret };
}

/**
 * A request from an address of its own unless the test gives one: without it every request would
 * count against one shared "unknown" client, and test files running side by side would use up
 * each other's per-IP limits (the limits are tested on their own, with explicit addresses).
 */
export const api = (path: string, init: RequestInit = {}) => {
  const headers = new Headers(init.headers);
  if (!headers.has("cf-connecting-ip")) headers.set("cf-connecting-ip", freshIp());
  return SELF.fetch(`http://api.test/api/v1${path}`, { ...init, headers });
};

export const postJson = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  api(path, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });

export const currentCode = (a: TestAdmin, offsetSteps = 0) => totpCode(a.totpSecret, totpStep(new Date()) + offsetSteps);

export async function loginChallenge(a: TestAdmin, ip = freshIp()): Promise<string> {
  const res = await postJson("/admin/auth/login", { email: a.email, password: a.password }, { "cf-connecting-ip": ip });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { challenge: string }).challenge;
}

/** Signs in with password and the current TOTP code; returns the session token. */
export async function signIn(a: TestAdmin): Promise<string> {
  const ip = freshIp();
  const challenge = await loginChallenge(a, ip);
  const res = await postJson("/admin/auth/mfa", { challenge, code: await currentCode(a) }, { "cf-connecting-ip": ip });
  if (res.status !== 200) throw new Error(`mfa failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
