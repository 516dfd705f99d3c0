// One-time download tokens: an admin mints them for downloadable files; each can be redeemed
// once. Only a hash of each token is stored (Redis, expiring with it); redemption takes it with
// GETDEL, so under any concurrency exactly one redemption gets the file.

import { randomBytes, sha256Hex, toBase64Url } from "../../lib/crypto/encoding";
import { AppError } from "../../lib/errors";
import type { RedisClient } from "../../platform/redis";

interface TokenRecord {
  storageKey: string;
  label: string | null;
  expiresAt: number;
  createdBy: string;
}

const tokenKey = async (token: string) => `dltoken:${await sha256Hex(token)}`;
const spentKey = async (token: string) => `dltoken:spent:${await sha256Hex(token)}`;
/** Spent markers outlive the token a little, so a late retry still hears "already used". */
const SPENT_MEMORY_SECONDS = 24 * 3600;

export async function mintTokens(
  redis: RedisClient,
  items: { storageKey: string }[],
  opts: { ttlSeconds: number; label: string | null; createdBy: string; now: Date },
): Promise<{ token: string; storageKey: string; expiresAt: Date }[]> {
  const expiresAt = opts.now.getTime() + opts.ttlSeconds * 1000;
  const minted = await Promise.all(items.map(async (it) => ({ token: toBase64Url(randomBytes(32)), storageKey: it.storageKey })));
  const p = redis.pipeline();
  for (const m of minted) {
    const record: TokenRecord = { storageKey: m.storageKey, label: opts.label, expiresAt, createdBy: opts.createdBy };
    p.set(await tokenKey(m.token), record, { ex: opts.ttlSeconds });
  }
  await p.exec();
  return minted.map((m) => ({ ...m, expiresAt: new Date(expiresAt) }));
}

const TOKEN_FORMAT = /^[A-Za-z0-9_-]{20,100}$/;

async function gone(redis: RedisClient, token: string): Promise<never> {
  const spent = await redis.exists(await spentKey(token));
  throw new AppError("GONE", spent ? "This download token has already been used." : "This download token is unknown or has expired.");
}

/** A token's record without spending it (HEAD: link checkers and unfurlers must not use it up). */
export async function peekToken(redis: RedisClient, token: string, now: Date): Promise<TokenRecord> {
  if (!TOKEN_FORMAT.test(token)) throw new AppError("NOT_FOUND", "No such download token.");
  const record = await redis.get<TokenRecord>(await tokenKey(token));
  if (!record) return gone(redis, token);
  if (record.expiresAt <= now.getTime()) throw new AppError("GONE", "This download token has expired.");
  return record;
}

/**
 * Spends a token and hands its record to `use` (which signs the file's URL): exactly one caller
 * gets it, the rest get 410 Gone. When `use` fails for a reason that is not the caller's (a
 * dependency down), the token is put back as it was, unspent, so the link works once it is back.
 */
export async function redeemToken<T>(redis: RedisClient, token: string, now: Date, use: (r: TokenRecord) => Promise<T>): Promise<T> {
  if (!TOKEN_FORMAT.test(token)) throw new AppError("NOT_FOUND", "No such download token.");
  const key = await tokenKey(token);
  const record = await redis.getdel<TokenRecord>(key);
  if (!record) return gone(redis, token);
  if (record.expiresAt <= now.getTime()) {
    await redis.set(await spentKey(token), 1, { ex: SPENT_MEMORY_SECONDS });
    throw new AppError("GONE", "This download token has expired.");
  }
  let result: T;
  try {
    result = await use(record);
  } catch (e) {
    const final = e instanceof AppError && e.status < 500;
    if (final) await redis.set(await spentKey(token), 1, { ex: SPENT_MEMORY_SECONDS });
    else {
      const leftMs = record.expiresAt - now.getTime();
      await redis.set(key, record, { px: Math.max(1, leftMs), nx: true }).catch(() => undefined);
    }
    throw e;
  }
  // The spend is done (GETDEL); the marker only improves a later answer, so its failure is not the caller's.
  await redis.set(await spentKey(token), 1, { ex: SPENT_MEMORY_SECONDS }).catch(() => undefined);
  return result;
}
