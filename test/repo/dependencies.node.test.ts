// The shape of the code, checked: no import cycles among src/ files; dependencies point one way
// (http → features' routes → features' services → platform, lib, db); services never write URLs
// of routes. (That every URL leads to its feature's route file is checked on the served document,
// test/http/openapi-lint.node.test.ts.)
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import madge from "madge";
import { beforeAll, describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");

/** The layer of a file under src/: routes and services of a feature are two layers. */
function layerOf(file: string): string {
  if (file === "worker.ts") return "worker";
  if (file === "http/app.ts") return "http/app";
  if (file.startsWith("http/middleware/")) return "http/middleware";
  if (file.startsWith("http/")) return "http/kit";
  if (file.startsWith("features/")) return /\/routes[^/]*\.ts$/.test(file) ? "features/routes" : "features/services";
  return file.split("/")[0] as string;
}

/** What each layer may import besides itself. */
const MAY_IMPORT: Record<string, string[]> = {
  lib: [],
  db: ["lib"],
  platform: ["lib", "db"],
  // The request context's types name the clients the init middleware builds (a job runner among them).
  "http/kit": ["platform", "lib", "features/services"],
  "features/services": ["platform", "lib", "db"],
  "features/routes": ["features/services", "http/kit", "platform", "lib", "db"],
  "http/middleware": ["http/kit", "features/services", "platform", "lib"],
  "http/app": ["http/middleware", "http/kit", "features/routes", "platform", "lib"],
  worker: ["http/app", "features/services", "platform"],
};

describe("the source tree", () => {
  let graph: Record<string, string[]>;
  let circular: string[][];
  beforeAll(async () => {
    const res = await madge(resolve(root, "src"), { fileExtensions: ["ts"], tsConfig: resolve(root, "tsconfig.json") });
    graph = res.obj();
    circular = res.circular();
  }, 60_000);

  it("has no import cycles", () => {
    expect(Object.keys(graph).length).toBeGreaterThan(80);
    expect(circular).toEqual([]);
  });

  it("points its dependencies one way: nothing imports a layer above it", () => {
    const wrong = Object.entries(graph).flatMap(([file, deps]) =>
      deps
        .filter((d) => layerOf(d) !== layerOf(file) && !(MAY_IMPORT[layerOf(file)] ?? []).includes(layerOf(d)))
        .map((d) => `${file} → ${d}`),
    );
    expect(wrong).toEqual([]);
  });

  it("keeps the old layer folders gone: everything lives in http, platform, features, lib or db", () => {
    const outside = Object.keys(graph).filter((f) => !/^(worker\.ts|http\/|platform\/|features\/[a-z-]+\/|lib\/|db\/schema\/)/.test(f));
    expect(outside).toEqual([]);
  });

  it("leaves URLs of routes to the routes: no service or Durable Object writes one", () => {
    const files = Object.keys(graph).filter((f) => layerOf(f) === "features/services" || layerOf(f) === "platform");
    expect(files.filter((f) => readFileSync(resolve(root, "src", f), "utf8").includes("/api/v1"))).toEqual([]);
  });
});
