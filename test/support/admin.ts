// Admin fixtures for Worker tests: a fresh admin per call (unique email, so TOTP steps never
// collide between tests), sign-in through the real endpoints, and authenticated requests.
import { env, SELF } from "cloudflare:test";
import { createAdmin } from "../../src/features/auth/admins-service";
import { createApp } from "../../src/http/app";
import { totpCode, totpStep } from "../../src/lib/crypto/totp";
import { createDb } from "../../src/platform/db";
import { parseEnv } from "../../src/platform/env";

export const config = parseEnv(env);
export const { db } = createDb(config);

export interface TestAdmin {
  id: string;
  email: string;
  password: string;
  totpSecret: string;
}

const randomBytes3 = () => crypto.getRandomValues(new Uint8Array(3));

/**
 * A client address of its own, so per-IP limits of one test never touch another's: 22 random bits
 * of 100.64.0.0/10. Every test file counts from scratch and about a thousand of these are drawn in
 * a run, so another draw landing on a given one is a chance of about one in 4,000.
 */
export const freshIp = () => {
  const [a = 0, b = 0, c = 0] = randomBytes3();
  return `100.${64 + (a & 63)}.${b}.${c}`;
};

/** The address api() gives a request that names none: another range, so it never meets freshIp()'s. */
const anyIp = () => {
  const [a = 0, b = 0, c = 0] = randomBytes3();
  return `10.${a}.${b}.${c}`;
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
  if (!headers.has("cf-connecting-ip")) headers.set("cf-connecting-ip", anyIp());
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

/**
 * An app of its own with a fresh automation key, for tests that call it in-process (`app.request`)
 * while a dependency is stopped: nothing of another test's limits or keys is shared.
 */
export function appWithAdminKey(vars: Record<string, string> = {}) {
  const adminKey = `k-${crypto.randomUUID()}`;
  return {
    app: createApp({ logSink: () => {} }),
    env: { ...env, ...vars, ADMIN_API_KEY: adminKey },
    adminKey,
    adminHeaders: { "x-admin-key": adminKey, "content-type": "application/json" },
  };
}
