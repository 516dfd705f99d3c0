// Admin sign-in in two steps (password → MFA challenge → TOTP → session token), session checks
// and revocation, and the automation key (docs/api.md: "Admin security").
import { and, eq, sql } from "drizzle-orm";
import { sign, verify } from "hono/jwt";
import { adminUsers } from "../../db/schema";
import { clientNetwork } from "../../lib/client-network";
import { constantTimeEqual, randomBytes, sha256Hex, toBase64Url } from "../../lib/crypto/encoding";
import { DECOY_PASSWORD_HASH, hashPassword, verifyPassword } from "../../lib/crypto/password";
import { open } from "../../lib/crypto/secret-box";
import { matchTotp } from "../../lib/crypto/totp";
import { AppError } from "../../lib/errors";
import type { Logger } from "../../lib/logger";
import type { Clock } from "../../platform/clock";
import type { Database } from "../../platform/db";
import type { AppConfig } from "../../platform/env";
import { assertAllowed, type RateLimiter } from "../../platform/rate-limit-policy";
import type { RedisClient } from "../../platform/redis";
import { type AuditContext, auditInsert } from "../audit/service";
import { createMfaGuard } from "./mfa-guard";

export const SESSION_TTL_SECONDS = 15 * 60;
export const CHALLENGE_TTL_SECONDS = 5 * 60;
export const JWT_ISSUER = "moviesnow";
export const JWT_AUDIENCE = "moviesnow-admin";

import type { Actor } from "../audit/actor";

export interface AuthDeps {
  db: Database;
  redis: RedisClient;
  clock: Clock;
  limiter: RateLimiter;
  config: AppConfig;
  logger?: Logger;
}

const challengeKey = async (challenge: string) => `mfa:challenge:${await sha256Hex(challenge)}`;
const revokedKey = (jti: string) => `session:revoked:${jti}`;
export const normaliseEmail = (e: string) => e.trim().toLowerCase();

const INVALID_LOGIN = "Invalid email or password.";
/** How long a network an admin signed in from stays trusted when their account is under attack. */
const KNOWN_NETWORK_SECONDS = 30 * 24 * 3600;
const knownNetworksKey = async (email: string) => `login:known-networks:${await sha256Hex(email)}`;

/**
 * Sign-in limits, all counted before the password is looked at (so concurrent guesses can't
 * outrun them) and given back when the password is right, so they count failures:
 * - per network (IPv4 address or IPv6 /64), every account: RATE_LIMIT_LOGIN_IP;
 * - per account and network: RATE_LIMIT_LOGIN_ACCOUNT. A guesser uses up only its own network's
 *   allowance, never the admin's elsewhere;
 * - per account from everywhere: RATE_LIMIT_LOGIN_ACCOUNT_ALL. Past it only the networks the admin
 *   signed in from in the last 30 days may try: a distributed guess is stopped, and the admin still
 *   gets in from where they usually work (a network is remembered after a sign-in with both factors).
 */
export async function login(
  deps: AuthDeps,
  input: { email: string; password: string },
  audit: AuditContext,
): Promise<{ challenge: string; expiresIn: number }> {
  const email = normaliseEmail(input.email);
  const net = clientNetwork(audit.ip);
  const here = `${email}|${net}`;
  // Sign-in fails closed: without Redis there is no attempt counting, so no sign-in.
  assertAllowed(await deps.limiter.hit("login_ip", net), deps.clock);
  assertAllowed(await deps.limiter.hit("login_account", here), deps.clock);
  const everywhere = await deps.limiter.hit("login_account_all", email);
  if (everywhere.unavailable) assertAllowed(everywhere, deps.clock);
  if (!everywhere.success && (await deps.redis.sismember(await knownNetworksKey(email), net)) !== 1) {
    deps.logger?.warn("admin sign-in refused: too many failures for this account; only known networks may try", { network: net });
    assertAllowed(everywhere, deps.clock);
  }

  const [user] = await deps.db.select().from(adminUsers).where(eq(adminUsers.email, email)).limit(1);
  // Unknown emails are checked against a decoy hash: same work, same answer, same time.
  const check = await verifyPassword(input.password, user?.passwordHash ?? DECOY_PASSWORD_HASH, deps.config.TOTP_ENCRYPTION_KEY);
  if (!user || !check.ok) {
    await auditInsert(deps.db, audit, { action: "auth.login_failed", resourceType: "admin_user", details: { email } });
    throw new AppError("UNAUTHORIZED", INVALID_LOGIN);
  }
  // A hash from before the pepper (or with fewer iterations) is replaced now that the password is
  // known to be right; only if it is still the one that was checked (a concurrent change wins).
  if (check.needsRehash) {
    const fresh = await hashPassword(input.password, deps.config.TOTP_ENCRYPTION_KEY);
    await deps.db
      .update(adminUsers)
      .set({ passwordHash: fresh })
      .where(and(eq(adminUsers.id, user.id), eq(adminUsers.passwordHash, user.passwordHash)));
  }
  // The right password is not a guess: its counts go back.
  await Promise.all([
    deps.limiter.refund("login_account", here),
    everywhere.success ? deps.limiter.refund("login_account_all", email) : Promise.resolve(),
  ]);
  if (user.disabled) {
    await auditInsert(deps.db, audit, {
      action: "auth.login_denied",
      resourceType: "admin_user",
      resourceId: user.id,
      details: { reason: "disabled" },
    });
    throw new AppError("FORBIDDEN", "This admin account is disabled.");
  }
  const challenge = toBase64Url(randomBytes(32));
  await deps.redis.set(await challengeKey(challenge), { userId: user.id }, { ex: CHALLENGE_TTL_SECONDS });
  await auditInsert(
    deps.db,
    { ...audit, actor: null },
    { action: "auth.login", resourceType: "admin_user", resourceId: user.id, details: { email } },
  );
  return { challenge, expiresIn: CHALLENGE_TTL_SECONDS };
}

export async function completeMfa(
  deps: AuthDeps,
  input: { challenge: string; code: string },
  audit: AuditContext,
): Promise<{ accessToken: string; expiresIn: number }> {
  // The code step of sign-in counts against the same per-network limit as the password step.
  assertAllowed(await deps.limiter.hit("login_ip", clientNetwork(audit.ip)), deps.clock);
  const key = await challengeKey(input.challenge);
  const pending = await deps.redis.get<{ userId: string }>(key);
  if (!pending) throw new AppError("UNAUTHORIZED", "The sign-in challenge is invalid or has expired; sign in again.");
  const [user] = await deps.db.select().from(adminUsers).where(eq(adminUsers.id, pending.userId)).limit(1);
  if (!user?.totpSecretEnc) throw new AppError("UNAUTHORIZED", "The sign-in challenge is invalid or has expired; sign in again.");
  if (user.disabled) throw new AppError("FORBIDDEN", "This admin account is disabled.");

  // Budgets are taken before the code is looked at, so concurrent guesses cannot outrun them.
  const guard = createMfaGuard(deps.redis, deps.config.RATE_LIMIT_MFA_ACCOUNT);
  if (!(await guard.takeAttempt(key, CHALLENGE_TTL_SECONDS))) {
    await deps.redis.del(key);
    throw new AppError("UNAUTHORIZED", "Too many codes were tried for this sign-in challenge; sign in again.");
  }
  const locked = (seconds: number) =>
    new AppError("RATE_LIMITED", `Too many codes were tried for this account; it is locked, retry in ${seconds} s.`, {
      headers: { "retry-after": String(seconds) },
    });
  const lockedFor = await guard.lockedFor(user.id);
  if (lockedFor > 0) throw locked(lockedFor);
  const reservation = await guard.reserve(user.id, deps.clock.now().getTime());
  if (!reservation.ok) {
    const lock = await guard.lock(user.id);
    if (lock.started) {
      // One line per lock, with a field of its own an alert can match on (docs/operations.md).
      deps.logger?.warn("admin account locked: too many TOTP codes", {
        security: "admin_mfa_locked",
        admin_id: user.id,
        locked_seconds: lock.seconds,
        lock_count: lock.count,
      });
      await auditInsert(deps.db, audit, {
        action: "auth.mfa_locked",
        resourceType: "admin_user",
        resourceId: user.id,
        details: { retry_after_seconds: lock.seconds, lock_count: lock.count },
      });
    }
    throw locked(lock.seconds);
  }

  const secret = await open(user.totpSecretEnc, deps.config.TOTP_ENCRYPTION_KEY, `admin:${user.id}`);
  const step = await matchTotp(secret, input.code, deps.clock.now());
  if (step === null) {
    await auditInsert(deps.db, audit, { action: "auth.mfa_failed", resourceType: "admin_user", resourceId: user.id });
    throw new AppError("UNAUTHORIZED", "Invalid code.");
  }
  // A right code is not a guess: it gives its slot in the account's window back.
  await reservation.release();

  // Spend the step: only a step newer than the last accepted one passes, checked and written in
  // one statement, with its audit row in the same statement.
  const sessionId = crypto.randomUUID();
  const spent = await deps.db.execute<{ id: string }>(sql`
    with spent as (
      update ${adminUsers} set last_totp_step = ${step}, updated_at = now()
      where id = ${user.id} and disabled = false and (last_totp_step is null or last_totp_step < ${step})
      returning id
    ), logged as (
      insert into audit_logs (actor, action, resource_type, resource_id, request_id, ip, details)
      select ${`admin:${user.email}`}, 'auth.mfa', 'admin_user', id::text, ${audit.requestId}, ${audit.ip}, ${JSON.stringify({ session_id: sessionId })}::jsonb
      from spent
    )
    select id from spent`);
  if (spent.rows.length !== 1) throw new AppError("UNAUTHORIZED", "This code has already been used; wait for the next one.");
  // Signed in with both factors: this network is one the admin works from.
  await Promise.all([
    deps.redis.del(key, `${key}:attempts`),
    rememberNetwork(deps.redis, user.email, clientNetwork(audit.ip)),
    guard.forgetLocks(user.id),
  ]);

  const iat = Math.floor(deps.clock.now().getTime() / 1000);
  const accessToken = await sign(
    {
      sub: user.id,
      email: user.email,
      amr: ["pwd", "otp"],
      iat,
      nbf: iat,
      exp: iat + SESSION_TTL_SECONDS,
      jti: sessionId,
      iss: JWT_ISSUER,
      aud: JWT_AUDIENCE,
    },
    deps.config.ADMIN_JWT_SECRET,
    "HS256",
  );
  return { accessToken, expiresIn: SESSION_TTL_SECONDS };
}

async function rememberNetwork(redis: RedisClient, email: string, net: string): Promise<void> {
  const key = await knownNetworksKey(email);
  await redis.sadd(key, net);
  await redis.expire(key, KNOWN_NETWORK_SECONDS);
}

const UNAUTHENTICATED = "Invalid, expired or revoked session.";

/** Resolves the actor behind a request's credentials: a session token or the automation key. */
export async function authenticate(
  deps: Omit<AuthDeps, "limiter">,
  creds: { bearer?: string | undefined; adminKey?: string | undefined },
): Promise<Actor> {
  if (creds.adminKey !== undefined && deps.config.ADMIN_API_KEY) {
    if (await constantTimeEqual(creds.adminKey, deps.config.ADMIN_API_KEY)) return { kind: "api_key", id: "api-key", label: "api-key" };
    throw new AppError("UNAUTHORIZED", "Invalid admin key.");
  }
  if (!creds.bearer) {
    throw new AppError("UNAUTHORIZED", "Admin routes need a session token (Authorization: Bearer …) or, when enabled, X-Admin-Key.", {
      headers: { "www-authenticate": 'Bearer realm="moviesnow-admin"' },
    });
  }
  let claims: Record<string, unknown>;
  try {
    claims = await verify(creds.bearer, deps.config.ADMIN_JWT_SECRET, { alg: "HS256", iss: JWT_ISSUER, aud: JWT_AUDIENCE });
  } catch {
    throw new AppError("UNAUTHORIZED", UNAUTHENTICATED, { headers: { "www-authenticate": 'Bearer error="invalid_token"' } });
  }
  const { sub, jti, exp, amr } = claims;
  if (typeof sub !== "string" || typeof jti !== "string" || typeof exp !== "number" || !Array.isArray(amr) || !amr.includes("otp")) {
    throw new AppError("UNAUTHORIZED", UNAUTHENTICATED);
  }
  if ((await deps.redis.exists(revokedKey(jti))) === 1) throw new AppError("UNAUTHORIZED", UNAUTHENTICATED);
  const [user] = await deps.db.select().from(adminUsers).where(eq(adminUsers.id, sub)).limit(1);
  if (!user) throw new AppError("UNAUTHORIZED", UNAUTHENTICATED);
  if (user.disabled) throw new AppError("FORBIDDEN", "This admin account is disabled.");
  return { kind: "admin", id: user.id, email: user.email, label: `admin:${user.email}`, sessionId: jti, expiresAt: exp };
}

/**
 * Admin accounts are managed only by a person signed in with both factors: the automation key
 * must not be able to mint admins (and read their TOTP seeds) or lock them out.
 */
export function requireSession(actor: Actor | null): asserts actor is Extract<Actor, { kind: "admin" }> {
  if (actor?.kind !== "admin") {
    throw new AppError("FORBIDDEN", "Admin accounts are managed from a signed-in session (password and TOTP); the admin key can't.");
  }
}

/** Revokes the session until its token would have expired anyway. */
export async function logout(deps: Pick<AuthDeps, "db" | "redis" | "clock">, actor: Actor, audit: AuditContext): Promise<void> {
  if (actor.kind !== "admin") throw new AppError("BAD_REQUEST", "Only a session can be signed out; the admin key has no session.");
  const ttl = Math.max(1, actor.expiresAt - Math.floor(deps.clock.now().getTime() / 1000));
  await deps.redis.set(revokedKey(actor.sessionId), 1, { ex: ttl });
  await auditInsert(deps.db, audit, {
    action: "auth.logout",
    resourceType: "admin_user",
    resourceId: actor.id,
    details: { session_id: actor.sessionId },
  });
}
