// The Worker as wrangler bundles it for deploy: zod's locale index is replaced by ours (English
// only, see `[alias]` in wrangler.toml), nothing but zod imports the aliased path, and the served
// Worker still explains validation errors in English.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { liftedLimits } from "../support/http-admin.ts";
import { type HttpWorker, startHttpWorker } from "../support/http-worker.ts";
import { testWorkerVars } from "../support/stack-env.ts";

const root = resolve(import.meta.dirname, "../..");
const dir = mkdtempSync(join(tmpdir(), "mn-worker-bundle-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Metafile {
  inputs: Record<string, { imports: { path: string; original?: string }[] }>;
}

describe("the deployed Worker bundle", () => {
  let meta: Metafile;
  beforeAll(() => {
    execFileSync(
      process.execPath,
      [
        resolve(root, "node_modules/wrangler/bin/wrangler.js"),
        "deploy",
        "--dry-run",
        "--outdir",
        join(dir, "dist"),
        "--metafile",
        join(dir, "meta.json"),
      ],
      {
        cwd: root,
        env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    meta = JSON.parse(readFileSync(join(dir, "meta.json"), "utf8")) as Metafile;
  }, 60_000);

  it("carries zod's English locale and none of the others", () => {
    const locales = Object.keys(meta.inputs).filter((f) => f.includes("node_modules/zod/v4/locales/"));
    expect(locales).toEqual(["node_modules/zod/v4/locales/en.js"]);
  });

  it("resolves the aliased path to our module, and only for zod's own imports", () => {
    const importers = Object.entries(meta.inputs).flatMap(([file, input]) =>
      input.imports.filter((i) => i.original === "../locales/index.js").map((i) => [file, i.path]),
    );
    expect(importers.length).toBeGreaterThan(0);
    for (const [file, to] of importers) {
      expect(file).toMatch(/^node_modules\/zod\//);
      expect(to).toBe("src/lib/zod-locales.ts");
    }
  });

  describe("served by wrangler dev", () => {
    let worker: HttpWorker;
    beforeAll(async () => {
      worker = await startHttpWorker({ ...testWorkerVars(), ...liftedLimits });
    }, 90_000);
    afterAll(() => worker?.stop());

    it("explains a validation error in English, naming the field", async () => {
      const res = await fetch(`${worker.api}/titles?limit=0`);
      expect(res.status).toBe(400);
      expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
      const body = (await res.json()) as { errors: { path: string; message: string }[] };
      expect(body.errors).toEqual([expect.objectContaining({ path: "query.limit", message: "Too small: expected number to be >=1" })]);
    });
  });
});
