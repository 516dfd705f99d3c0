import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, newAdmin, signIn } from "../../support/admin";
import { adminClient } from "../../support/admin-client";
import { movieWithToken } from "../../support/delivery";
import { expectProblem } from "../../support/problem";

describe("health and request ids", () => {
  it("answers /health without touching dependencies", async () => {
    const res = await SELF.fetch("http://api.test/api/v1/health");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "ok" });
  });

  it("echoes a sane X-Request-Id and replaces an unsafe one", async () => {
    const given = await SELF.fetch("http://api.test/api/v1/health", { headers: { "x-request-id": "abc-123.x:y" } });
    expect(given.headers.get("x-request-id")).toBe("abc-123.x:y");
    const unsafe = await SELF.fetch("http://api.test/api/v1/health", { headers: { "x-request-id": "bad id with spaces <script>" } });
    expect(unsafe.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    const none = await SELF.fetch("http://api.test/api/v1/health");
    expect(none.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("404 and 405 are problem+json", () => {
  it("unknown path → 404 NOT_FOUND", async () => {
    const res = await SELF.fetch("http://api.test/api/v1/no-such-thing");
    const p = await expectProblem(res, 404, "NOT_FOUND");
    expect(p.detail).toContain("/api/v1/no-such-thing");
  });

  it("known path, wrong method → 405 with Allow", async () => {
    const res = await SELF.fetch("http://api.test/api/v1/ready", { method: "DELETE" });
    await expectProblem(res, 405, "METHOD_NOT_ALLOWED");
    expect(res.headers.get("allow")).toBe("GET, HEAD");
  });
});

describe("OpenAPI document and docs page", () => {
  it("serves an OpenAPI 3.1 document generated from the routes", async () => {
    const res = await SELF.fetch("http://api.test/api/v1/openapi.json");
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(["/api/v1/health", "/api/v1/ready"]));
    expect(doc.paths["/api/v1/ready"]).toHaveProperty("get.responses.503");
  });

  it("documents Retry-After on every 503 an operation can answer", async () => {
    const doc = (await (await SELF.fetch("http://api.test/api/v1/openapi.json")).json()) as {
      paths: Record<string, Record<string, { responses: Record<string, { headers?: Record<string, unknown> }> }>>;
    };
    const ops = Object.entries(doc.paths).flatMap(([path, byMethod]) =>
      Object.entries(byMethod).map(([m, op]) => ({ at: `${m} ${path}`, op })),
    );
    const with503 = ops.filter(({ op }) => op.responses["503"]);
    expect(with503.length).toBeGreaterThan(20);
    expect(with503.filter(({ op }) => !op.responses["503"]?.headers?.["Retry-After"]).map(({ at }) => at)).toEqual([]);
  });

  it("serves an interactive docs page pointing at the document, with every script and style from this origin", async () => {
    const res = await SELF.fetch("http://api.test/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    const html = await res.text();
    expect(html).not.toMatch(/https?:\/\//);
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] ?? "");
    expect(refs.sort()).toEqual(["/docs/assets/init.js", "/docs/assets/swagger-ui-bundle.js", "/docs/assets/swagger-ui.css"]);
    expect(html).not.toMatch(/<script>[^<]/); // no inline script: the policy would refuse it
    for (const ref of refs) {
      const asset = await SELF.fetch(`http://api.test${ref}`);
      expect(asset.status, ref).toBe(200);
      expect(asset.headers.get("content-type"), ref).toMatch(ref.endsWith(".css") ? /text\/css/ : /javascript/);
      const body = await asset.text();
      if (ref.endsWith("init.js")) expect(body).toContain("/api/v1/openapi.json");
      else expect(body.length, ref).toBeGreaterThan(10_000);
    }
    // Only those files: the rest of the assets directory is not served.
    expect((await SELF.fetch("http://api.test/docs/assets/index.html")).status).toBe(404);
    expect((await SELF.fetch("http://api.test/index.html")).status).toBe(404);
  });
});

describe("response headers", () => {
  it("every answer says nosniff: success, problem, catalog, redirect, docs", async () => {
    const { admin, token } = await movieWithToken("hdr.mkv", 1);
    const answers = [
      await api("/health"),
      await api("/titles"),
      await api(`/titles/${crypto.randomUUID()}`),
      await api(`/delivery/download/${token}`, { redirect: "manual" }),
      await admin.raw("GET", "/admin/titles"),
      await SELF.fetch("http://api.test/docs"),
      await SELF.fetch("http://api.test/nowhere"),
    ];
    expect(answers.map((r) => r.status)).toEqual([200, 200, 404, 302, 200, 200, 404]);
    for (const r of answers) expect(r.headers.get("x-content-type-options"), `${r.status} ${r.url}`).toBe("nosniff");
  });

  it("admin answers are never stored by a cache", async () => {
    const admin = adminClient(await signIn(await newAdmin()));
    for (const path of ["/admin/titles", "/admin/auth/me", "/admin/audit-logs?limit=1", `/admin/titles/${crypto.randomUUID()}`]) {
      const r = await admin.raw("GET", path);
      expect(r.headers.get("cache-control"), path).toBe("no-store");
      await r.body?.cancel();
    }
  });
});

describe("schema examples in the OpenAPI document", () => {
  it("every example is valid for its own schema", async () => {
    const { titleSchema } = await import("../../../src/features/catalog/contract");
    const { downloadSchema } = await import("../../../src/features/assets/contract");
    const { problemSchema } = await import("../../../src/http/problem");
    const { buildStatusSchema } = await import("../../../src/features/bundles/contract");
    for (const schema of [titleSchema, downloadSchema, problemSchema, buildStatusSchema]) {
      const examples = (schema.meta() as { examples?: unknown[] } | undefined)?.examples ?? [];
      expect(examples.length).toBeGreaterThan(0);
      for (const e of examples) expect(schema.safeParse(e).error).toBeUndefined();
    }
    const doc = (await (await SELF.fetch("http://api.test/api/v1/openapi.json")).json()) as {
      components: { schemas: Record<string, { examples?: unknown[] }> };
    };
    for (const id of ["Title", "Download", "Problem", "BundleBuildStatus"])
      expect(doc.components.schemas[id]?.examples, id).toHaveLength(1);
  });
});
