// Request generators for the OpenAPI fuzz test: JSON Schema (as the generated document has it)
// → fast-check arbitraries of valid values, plus the hostile inputs a client can send
// (wrong types, huge and odd strings, bad numbers and UUIDs, traversal, broken JSON, wrong
// content types, oversized bodies, missing and extra fields, credentials or none).
import fc from "fast-check";

export interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  const?: unknown;
}

export interface Parameter {
  name: string;
  in: "path" | "query" | "header" | "cookie";
  required?: boolean;
  schema: JsonSchema;
}

export interface Operation {
  method: string;
  path: string;
  parameters: Parameter[];
  body?: { required: boolean; schema: JsonSchema };
  statuses: Set<number>;
  secured: boolean;
}

export interface OpenApiDoc {
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: Parameter[];
        requestBody?: { required?: boolean; content: Record<string, { schema: JsonSchema }> };
        responses: Record<string, unknown>;
        security?: unknown[];
      }
    >
  >;
  components?: { schemas?: Record<string, JsonSchema> };
}

export function operationsOf(doc: OpenApiDoc): Operation[] {
  const ops: Operation[] = [];
  for (const [path, byMethod] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(byMethod)) {
      const json = op.requestBody?.content["application/json"];
      ops.push({
        method: method.toUpperCase(),
        path,
        parameters: op.parameters ?? [],
        body: json ? { required: op.requestBody?.required ?? false, schema: json.schema } : undefined,
        statuses: new Set(Object.keys(op.responses).map(Number)),
        secured: (op.security?.length ?? 0) > 0,
      });
    }
  }
  return ops;
}

/** Values that exist in the database, so valid requests reach past the 404s. */
export interface Known {
  uuids: string[];
  slugs: string[];
  ints: number[];
}

/** Strings no field should choke on. */
const NASTY_STRINGS = [
  "",
  " ",
  "../../../../etc/passwd",
  "..\\..\\windows\\win.ini",
  "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
  "/absolute/path",
  "' OR '1'='1' --",
  "'; DROP TABLE titles; --",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal injection probe, not a template
  "${jndi:ldap://x}",
  "<script>alert(1)</script>",
  "\u0000",
  "a\u0000b",
  "\uD800",
  "\u202Eevil",
  "🎬🍿👨‍👩‍👧",
  "Ωмέга 名前 اسم",
  "null",
  "undefined",
  "NaN",
  "-1",
  "1e309",
  "0x10",
  "true",
  "[]",
  "{}",
  "00000000-0000-0000-0000-00000000000g",
  "00000000-0000-0000-0000-000000000000",
  "not-a-uuid",
];
const NASTY_NUMBERS = [-1, 0, -0, 1.5, -2147483649, 2147483648, 2 ** 53 + 1, -(2 ** 63), 2 ** 64, 1e308, -1e308, 1e-320];

const hugeString = fc.integer({ min: 1_000, max: 200_000 }).map((n) => "x".repeat(n));

/** Anything at all, mostly of the wrong type for whatever field it lands in. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(...NASTY_STRINGS),
  fc.constantFrom<unknown>(...NASTY_NUMBERS),
  fc.constantFrom<unknown>(null, true, false, [], {}, [null], { $gt: "" }, { __proto__: { polluted: true } }),
  fc.string({ unit: "binary", maxLength: 64 }),
  fc.string({ unit: "grapheme", maxLength: 64 }),
  hugeString,
  fc.integer(),
  fc.double(),
  fc.array(fc.anything({ maxDepth: 2 }), { maxLength: 5 }),
);

/** A string for a URL (path segment, query value, header): hostile but sendable. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...NASTY_STRINGS),
  fc.constantFrom(...NASTY_NUMBERS.map(String)),
  fc.string({ unit: "grapheme", maxLength: 64 }),
  fc.string({ unit: "binary", maxLength: 32 }),
  fc.integer({ min: 1_000, max: 20_000 }).map((n) => "y".repeat(n)),
);

export class SchemaArbitraries {
  constructor(
    private readonly doc: OpenApiDoc,
    private readonly known: Known,
  ) {}

  private resolve(s: JsonSchema): JsonSchema {
    if (!s.$ref) return s;
    const name = s.$ref.replace("#/components/schemas/", "");
    const target = this.doc.components?.schemas?.[name];
    if (!target) throw new Error(`unresolvable ${s.$ref}`);
    return this.resolve(target);
  }

  /** Values the schema accepts. */
  valid(schema: JsonSchema, depth = 0): fc.Arbitrary<unknown> {
    const s = this.resolve(schema);
    if (s.const !== undefined) return fc.constant(s.const);
    if (s.enum) return fc.constantFrom(...s.enum);
    const alternatives = s.anyOf ?? s.oneOf;
    if (alternatives) return fc.oneof(...alternatives.map((a) => this.valid(a, depth + 1)));
    if (s.allOf) return this.valid(Object.assign({}, ...s.allOf.map((a) => this.resolve(a))), depth);
    if (Array.isArray(s.type)) return fc.oneof(...s.type.map((t) => this.valid({ ...s, type: t }, depth)));
    switch (s.type) {
      case "null":
        return fc.constant(null);
      case "boolean":
        return fc.boolean();
      case "integer": {
        const min = s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : -1_000_000);
        const max = s.maximum ?? (s.exclusiveMaximum !== undefined ? s.exclusiveMaximum - 1 : 1_000_000);
        return fc.oneof(fc.constantFrom(...this.known.ints.filter((n) => n >= min && n <= max), min), fc.integer({ min, max }));
      }
      case "number":
        return fc.double({ min: s.minimum ?? -1e6, max: s.maximum ?? 1e6, noNaN: true, noDefaultInfinity: true });
      case "array":
        return fc.array(this.valid(s.items ?? {}, depth + 1), {
          minLength: s.minItems ?? 0,
          maxLength: Math.min(s.maxItems ?? 4, s.minItems ?? 0 + 4, 4),
        });
      case "object": {
        const props = s.properties ?? {};
        const model: Record<string, fc.Arbitrary<unknown>> = {};
        for (const [k, v] of Object.entries(props)) model[k] = this.valid(v, depth + 1);
        return fc.record(model, { requiredKeys: (s.required ?? []).filter((k) => k in props) });
      }
      case "string":
        return this.validString(s);
      default:
        return depth > 3 ? fc.constant(null) : fc.jsonValue({ maxDepth: 2 });
    }
  }

  private validString(s: JsonSchema): fc.Arbitrary<string> {
    const min = s.minLength ?? 0;
    const max = Math.min(s.maxLength ?? 60, Math.max(min, 60));
    const fits = (v: string) => v.length >= min && v.length <= (s.maxLength ?? Number.POSITIVE_INFINITY);
    switch (s.format) {
      case "uuid":
        return fc.oneof(fc.constantFrom(...this.known.uuids), fc.uuid({ version: 4 }));
      case "email":
        return fc.emailAddress().filter(fits);
      case "date":
        return fc
          .date({ min: new Date("1900-01-01"), max: new Date("2099-12-31"), noInvalidDate: true })
          .map((d) => d.toISOString().slice(0, 10));
      case "date-time":
        return fc.date({ min: new Date("2000-01-01"), max: new Date("2099-12-31"), noInvalidDate: true }).map((d) => d.toISOString());
    }
    if (s.pattern) return fc.stringMatching(new RegExp(s.pattern)).filter(fits);
    // Filter lists, never arbitraries with few or no passing values: fast-check would retry forever.
    const knownFits = [...this.known.slugs, ...this.known.uuids].filter(fits);
    return fc.oneof(
      ...(knownFits.length > 0 ? [fc.constantFrom(...knownFits)] : []),
      fc.string({ minLength: min, maxLength: max }),
      fc.string({ unit: "grapheme", minLength: min, maxLength: max }).filter(fits),
    );
  }

  /** An object the schema rejects, or a valid one with one field broken, dropped or added. */
  invalidObject(schema: JsonSchema): fc.Arbitrary<unknown> {
    const s = this.resolve(schema);
    const props = Object.keys(s.properties ?? {});
    const broken = this.valid(s).chain((v) => {
      const obj = typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
      const variants: fc.Arbitrary<unknown>[] = [
        hostileValue,
        fc
          .record({ extra: fc.string({ maxLength: 20 }), value: hostileValue })
          .map(({ extra, value }) => ({ ...obj, [`x_${extra}`]: value })),
      ];
      if (props.length > 0) {
        variants.push(
          fc.tuple(fc.constantFrom(...props), hostileValue).map(([k, value]) => ({ ...obj, [k]: value })),
          fc.constantFrom(...props).map((k) => {
            const { [k]: _dropped, ...rest } = obj;
            return rest;
          }),
        );
      }
      return fc.oneof(...variants);
    });
    return broken;
  }
}

export type Mode = "valid" | "badParam" | "badBody" | "malformedJson" | "wrongContentType" | "oversized" | "missingBody";
export type Creds = "none" | "adminKey" | "badAdminKey" | "badBearer";
export interface FuzzRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
  mode: Mode;
  creds: Creds;
}

const wellFormed = (s: string) => s.toWellFormed();
/** Header values must be visible ASCII (anything else is refused by fetch before it is sent). */
const headerSafe = (s: string) => s.replace(/[^\x21-\x7e]/g, "").slice(0, 200) || "k";

export function requestArbitrary(
  op: Operation,
  arbs: SchemaArbitraries,
  ctx: { base: string; adminKey: string; oversizedBytes: number },
): fc.Arbitrary<FuzzRequest> {
  const params = op.parameters;
  const paramValues = fc.tuple(...params.map((p) => arbs.valid(p.schema).filter((v) => v !== null && v !== undefined)));
  const modes: Mode[] = ["valid", "valid", "valid"];
  if (params.length > 0) modes.push("badParam", "badParam");
  if (op.body) modes.push("badBody", "badBody", "badBody", "malformedJson", "wrongContentType", "oversized", "missingBody");
  return fc
    .record({
      mode: fc.constantFrom(...modes),
      creds: fc.constantFrom<Creds>("none", "adminKey", "adminKey", "adminKey", "badAdminKey", "badBearer"),
      values: paramValues,
      present: fc.array(fc.boolean(), { minLength: params.length, maxLength: params.length }),
      badIndex: fc.nat(),
      badValue: hostileString,
      body: op.body ? arbs.valid(op.body.schema) : fc.constant(undefined),
      badBody: op.body ? arbs.invalidObject(op.body.schema) : fc.constant(undefined),
      malformed: fc.constantFrom('{"name":', "{'kind': 'movie'}", "not json", "[1,2,", '{"a":1}}', "\u0000", '{"a":"\\ud800"'),
      wrongType: fc.constantFrom("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml"),
      // Mostly fresh keys (a reused one is answered 422 before anything else is looked at).
      idempotencyKey: fc.option(
        fc.oneof({ arbitrary: fc.uuid(), weight: 4 }, { arbitrary: fc.string({ minLength: 1, maxLength: 300 }), weight: 1 }),
        { nil: undefined },
      ),
    })
    .map((g) => {
      const bad = g.mode === "badParam" && params.length > 0 ? g.badIndex % params.length : -1;
      let path = op.path;
      const query = new URLSearchParams();
      const headers: Record<string, string> = { "cf-connecting-ip": `198.51.100.${g.badIndex % 250}` };
      params.forEach((p: Parameter, i) => {
        const raw = i === bad ? g.badValue : String(g.values[i]);
        const value = wellFormed(raw);
        const include = p.required || p.in === "path" || i === bad || g.present[i];
        if (!include) return;
        if (p.in === "path") {
          // A bare "." or ".." segment would be resolved away by the URL parser (another route).
          const seg = encodeURIComponent(value);
          path = path.replace(`{${p.name}}`, seg === "" || seg === "." || seg === ".." ? `x${seg}` : seg);
        } else if (p.in === "query") query.set(p.name, value);
        else if (p.in === "header") headers[p.name] = headerSafe(value);
      });
      if (g.idempotencyKey !== undefined && op.method !== "GET" && !("idempotency-key" in headers)) {
        headers["idempotency-key"] = headerSafe(g.idempotencyKey);
      }
      if (g.creds === "adminKey") headers["x-admin-key"] = ctx.adminKey;
      if (g.creds === "badAdminKey") headers["x-admin-key"] = "wrong-key";
      if (g.creds === "badBearer") headers.authorization = "Bearer eyJhbGciOiJIUzI1NiJ9.e30.bm90LWEtc2lnbmF0dXJl";
      let body: string | undefined;
      if (op.body) {
        headers["content-type"] = "application/json";
        if (g.mode === "valid" || g.mode === "badParam") body = JSON.stringify(g.body);
        else if (g.mode === "badBody") body = wellFormed(JSON.stringify(g.badBody) ?? "null");
        else if (g.mode === "malformedJson") body = g.malformed;
        else if (g.mode === "wrongContentType") {
          headers["content-type"] = g.wrongType;
          body = "kind=movie&name=x";
        } else if (g.mode === "oversized") body = JSON.stringify({ name: "z".repeat(ctx.oversizedBytes) });
        else delete headers["content-type"];
      }
      const qs = query.toString();
      return { method: op.method, url: `${ctx.base}${path}${qs ? `?${qs}` : ""}`, headers, body, mode: g.mode, creds: g.creds };
    });
}
