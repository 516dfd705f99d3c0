// Rows (camelCase columns, Dates) ↔ wire JSON (snake_case, ISO strings), written once for every
// resource: a response's zod schema names its fields and each comes from the row's column of the
// same name in camelCase, so adding a field means the column and the schema, nothing else. A wire
// field that is not a column (a renamed id, a nested list) is given in `extra`.
import type * as z from "zod";

/** `runtime_minutes` → `runtimeMinutes`, at the type level. */
export type Camel<S extends string> = S extends `${infer H}_${infer T}` ? `${H}${Capitalize<Camel<T>>}` : S;

const camel = (k: string) => k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** What a row must have for wire type W: each field under its camelCase name (a Date where W has a string). */
export type RowFor<W> = {
  [K in keyof W & string as Camel<K>]: W[K] extends string ? W[K] | Date : W[K] extends string | null ? W[K] | Date | null : W[K];
};

// Each schema's [wire, column] pairs, worked out once per isolate.
const pairsOf = new WeakMap<z.ZodObject, [string, string][]>();

/** The wire JSON of a row: the fields of `schema`, from `extra` or else from the row's camelCase column. */
export function toWire<S extends z.ZodObject, E extends Partial<z.infer<S>> = Record<never, never>>(
  schema: S,
  row: Omit<RowFor<z.infer<S>>, Camel<keyof E & string>>,
  extra?: E,
): z.infer<S> {
  let pairs = pairsOf.get(schema);
  if (!pairs) {
    pairs = Object.keys(schema.shape).map((k) => [k, camel(k)]);
    pairsOf.set(schema, pairs);
  }
  const from = row as Record<string, unknown>;
  const more = (extra ?? {}) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, column] of pairs) {
    const v = key in more ? more[key] : from[column];
    out[key] = v instanceof Date ? v.toISOString() : v;
  }
  return out as z.infer<S>;
}

/** The columns a request body sets: each field that is present, under its camelCase name. */
// `keyof B` itself (not `& string`) keeps the mapping homomorphic: optional fields stay optional.
export type ColumnsOf<B> = { [K in keyof B as K extends string ? Camel<K> : never]: Exclude<B[K], undefined> };
export function fromWire<B extends object>(body: B): ColumnsOf<B> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) if (v !== undefined) out[camel(k)] = v;
  return out as ColumnsOf<B>;
}
