// The OpenAPI document is a product: the one the Worker serves passes Redocly's recommended rules
// with no error and no warning (two reasoned exceptions in .redocly.lint-ignore.yaml), and every
// operation has a unique operationId and a security requirement.
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { featureOfPath } from "../../src/http/feature-of-path.ts";
import { liftedLimits } from "../support/http-admin.ts";
import { type HttpWorker, startHttpWorker } from "../support/http-worker.ts";
import { testWorkerVars } from "../support/stack-env.ts";

const root = resolve(import.meta.dirname, "../..");
type Response = { headers?: Record<string, unknown>; $ref?: string };
type Doc = {
  servers?: unknown[];
  paths: Record<string, Record<string, { operationId?: string; security?: unknown[]; responses: Record<string, Response> }>>;
};

describe("the OpenAPI document", () => {
  let worker: HttpWorker;
  let doc: Doc;
  beforeAll(async () => {
    worker = await startHttpWorker({ ...testWorkerVars(), ...liftedLimits });
    doc = (await (await fetch(`${worker.api}/openapi.json`)).json()) as Doc;
  }, 120_000);
  afterAll(async () => {
    await worker?.stop();
  });

  it("names every operation once and says what credentials each takes", () => {
    const ops = Object.entries(doc.paths).flatMap(([path, byMethod]) =>
      Object.entries(byMethod).map(([m, op]) => ({ at: `${m} ${path}`, op })),
    );
    expect(ops.length).toBeGreaterThan(60);
    expect(ops.filter(({ op }) => !op.operationId).map(({ at }) => at)).toEqual([]);
    const ids = ops.map(({ op }) => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ops.filter(({ op }) => !Array.isArray(op.security)).map(({ at }) => at)).toEqual([]);
    expect(doc.servers).toHaveLength(1);
  });

  it("documents the headers clients read: X-Request-Id everywhere, RateLimit-* and Retry-After, ETag with 304, Location", () => {
    const ops = Object.entries(doc.paths).flatMap(([path, byMethod]) =>
      Object.entries(byMethod).map(([m, op]) => ({ at: `${m} ${path}`, path, m, op })),
    );
    const missing: string[] = [];
    const need = (at: string, status: string, r: Response | undefined, name: string) => {
      if (!r) missing.push(`${at} ${status}: no such response`);
      else if (!r.$ref && !r.headers?.[name]) missing.push(`${at} ${status}: ${name}`);
    };
    for (const { at, path, m, op } of ops) {
      for (const [status, r] of Object.entries(op.responses)) need(at, status, r, "X-Request-Id");
      if (op.responses["429"]) need(at, "429", op.responses["429"], "Retry-After");
      if (op.responses["503"]) need(at, "503", op.responses["503"], "Retry-After");
      if (op.responses["429"] && op.responses["200"]) need(at, "200", op.responses["200"], "RateLimit-Remaining");
      if (m === "get" && path === "/api/v1/titles") {
        need(at, "200", op.responses["200"], "ETag");
        need(at, "304", op.responses["304"], "ETag");
      }
    }
    for (const at of ["post /api/v1/admin/titles", "post /api/v1/admin/titles/{id}/assets", "post /api/v1/admin/admins"]) {
      const [m, path] = at.split(" ") as [string, string];
      need(at, "201", doc.paths[path]?.[m]?.responses["201"], "Location");
    }
    need("post /api/v1/delivery/request-bundle", "202", doc.paths["/api/v1/delivery/request-bundle"]?.post?.responses["202"], "Location");
    expect(missing).toEqual([]);
  });

  it("leads from every URL to its route file: declared in a routes*.ts of the feature its path names", () => {
    const features = resolve(root, "src/features");
    const sources = readdirSync(features, { recursive: true, encoding: "utf8" })
      .filter((f) => /^[a-z-]+\/routes[^/]*\.ts$/.test(f))
      .map((f) => ({ file: `src/features/${f}`, text: readFileSync(join(features, f), "utf8") }));
    const misplaced: string[] = [];
    for (const [path, byMethod] of Object.entries(doc.paths)) {
      for (const [m, op] of Object.entries(byMethod)) {
        const at = sources.filter((s) => s.text.includes(`operationId: "${op.operationId}"`)).map((s) => s.file);
        const feature = featureOfPath(path);
        if (at.length !== 1 || !at[0]?.startsWith(`src/features/${feature}/`))
          misplaced.push(`${m} ${path} (${op.operationId}) in ${at.join(", ") || "no route file"}, not in src/features/${feature}/`);
      }
    }
    expect(misplaced).toEqual([]);
  });

  it("passes Redocly's recommended rules with no error and no warning", () => {
    // The path .redocly.lint-ignore.yaml names; .local/ is not tracked.
    mkdirSync(join(root, ".local"), { recursive: true });
    writeFileSync(join(root, ".local/openapi.json"), JSON.stringify(doc, null, 2));
    const r = spawnSync(join(root, "node_modules/.bin/redocly"), ["lint", ".local/openapi.json", "--format", "json"], {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" },
    });
    const report = JSON.parse(r.stdout) as {
      totals: { errors: number; warnings: number; ignored: number };
      problems: { ruleId: string; message: string }[];
    };
    expect(report.problems.map((p) => `${p.ruleId}: ${p.message}`)).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0, ignored: 2 });
    expect(r.status, r.stderr).toBe(0);
  });
});
