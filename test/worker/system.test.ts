import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { expectProblem } from "../support/problem";

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

  it("serves an interactive docs page pointing at the document", async () => {
    const res = await SELF.fetch("http://api.test/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    expect(await res.text()).toContain("/api/v1/openapi.json");
  });
});
