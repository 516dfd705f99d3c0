// The shape of the code, checked: no import cycles among src/ files, and dependencies point one
// way (routes → services and Durable Objects → adapters, lib and the contracts; nothing below
// reaches back up to routes, middleware or the app).
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import madge from "madge";
import { beforeAll, describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");
const layerOf = (file: string) => (file.includes("/") ? (file.split("/")[0] as string) : file.replace(/\.ts$/, ""));

/** What each layer may import besides itself (src/types.ts holds the request context's types). */
const MAY_IMPORT: Record<string, string[]> = {
  lib: ["types"],
  features: ["lib"],
  db: [],
  env: ["adapters", "lib"],
  adapters: ["lib", "db", "env"],
  services: ["adapters", "lib", "db", "env", "features", "durable", "types"],
  durable: ["adapters", "lib", "db", "env", "features", "services"],
  middleware: ["adapters", "lib", "env", "services", "durable", "types"],
  routes: ["lib", "db", "services", "durable", "types", "env"],
  types: ["adapters", "lib", "env", "services", "durable"],
  app: ["lib", "middleware", "routes", "types", "env"],
  worker: ["app", "durable"],
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

  it("leaves URLs of routes to the routes: no service or Durable Object writes one", () => {
    const files = Object.keys(graph).filter((f) => f.startsWith("services/") || f.startsWith("durable/"));
    expect(files.filter((f) => readFileSync(resolve(root, "src", f), "utf8").includes("/api/v1"))).toEqual([]);
  });
});
