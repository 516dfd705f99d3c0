// One-time download tokens: an admin mints them for downloadable files; each can be redeemed
// once. Only a hash of each token is stored (Redis, expiring with it); redemption takes it with
// GETDEL, so under any concurrency exactly one redemption gets the file.
import type { RedisClient } from "../adapters/redis";
import { randomBytes, sha256Hex, toBase64Url } from "../lib/crypto/encoding";
import { AppError } from "../lib/errors";

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

/** Spends a token: exactly one caller gets its record; the rest get 410 Gone. */
export async function redeemToken(redis: RedisClient, token: string, now: Date): Promise<TokenRecord> {
  if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) throw new AppError("NOT_FOUND", "No such download token.");
  const record = await redis.getdel<TokenRecord>(await tokenKey(token));
  if (!record) {
    const spent = await redis.exists(await spentKey(token));
    throw new AppError("GONE", spent ? "This download token has already been used." : "This download token is unknown or has expired.");
  }
  await redis.set(await spentKey(token), 1, { ex: SPENT_MEMORY_SECONDS });
  if (record.expiresAt <= now.getTime()) throw new AppError("GONE", "This download token has expired.");
  return record;
}
