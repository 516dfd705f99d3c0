// Opaque keyset cursors: base64url of the UTF-8 JSON of the sort they belong to and the last
// row's key. UTF-8 first: a key can be any title name, and btoa takes only Latin-1.
import { fromBase64, toBase64Url, utf8 } from "./crypto/encoding";
import { AppError } from "./errors";

export function encodeCursor(sort: string, key: (string | number | null)[]): string {
  return toBase64Url(utf8(JSON.stringify({ s: sort, k: key })));
}

export function decodeCursor(cursor: string, sort: string, arity: number): (string | number | null)[] {
  const bad = () =>
    new AppError("VALIDATION_FAILED", "query.cursor: not a cursor this listing returned (or it was made for another sort)", {
      errors: [{ path: "query.cursor", message: "not a cursor this listing returned (or it was made for another sort)" }],
    });
  let parsed: unknown;
  try {
    parsed = JSON.parse(
      new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(fromBase64(cursor.replace(/-/g, "+").replace(/_/g, "/"))),
    );
  } catch {
    throw bad();
  }
  const p = parsed as { s?: unknown; k?: unknown };
  if (p.s !== sort || !Array.isArray(p.k) || p.k.length !== arity) throw bad();
  if (!p.k.every((v) => v === null || typeof v === "string" || typeof v === "number")) throw bad();
  return p.k as (string | number | null)[];
}
