// Opaque keyset cursors: base64url JSON of the sort they belong to and the last row's key.
import { AppError } from "./errors";

export function encodeCursor(sort: string, key: (string | number | null)[]): string {
  return btoa(JSON.stringify({ s: sort, k: key }))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

export function decodeCursor(cursor: string, sort: string, arity: number): (string | number | null)[] {
  const bad = () =>
    new AppError("VALIDATION_FAILED", "query.cursor: not a cursor this listing returned (or it was made for another sort)", {
      errors: [{ path: "query.cursor", message: "not a cursor this listing returned (or it was made for another sort)" }],
    });
  let parsed: unknown;
  try {
    parsed = JSON.parse(atob(cursor.replace(/-/g, "+").replace(/_/g, "/")));
  } catch {
    throw bad();
  }
  const p = parsed as { s?: unknown; k?: unknown };
  if (p.s !== sort || !Array.isArray(p.k) || p.k.length !== arity) throw bad();
  if (!p.k.every((v) => v === null || typeof v === "string" || typeof v === "number")) throw bad();
  return p.k as (string | number | null)[];
}
