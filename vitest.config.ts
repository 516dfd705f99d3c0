import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";
import { testWorkerVars } from "./test/support/stack-env.ts";

/** Node tests that load the machine for a minute or more. */
const HEAVY = ["test/features/bundles/instant-zip64.node.test.ts"];

const workerPool = () =>
  cloudflareTest({
    main: "./src/worker.ts",
    wrangler: { configPath: "./wrangler.toml" },
    miniflare: { bindings: testWorkerVars() },
  });

export default defineConfig({
  test: {
    globalSetup: ["./test/global-setup.ts"],
    reporters: ["default", "./test/support/summary-reporter.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      {
        plugins: [workerPool()],
        test: {
          name: "worker",
          include: ["test/{features,http,platform,lib}/**/*.test.ts"],
          exclude: ["**/*.node.test.ts", "**/node_modules/**"],
          sequence: { groupOrder: 0 },
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: "node",
          include: ["test/**/*.node.test.ts"],
          exclude: [...HEAVY, "**/node_modules/**"],
          environment: "node",
          sequence: { groupOrder: 0 },
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      // Stops and starts shared services: runs after the others, one file at a time.
      {
        plugins: [workerPool()],
        test: {
          name: "faults",
          include: ["test/faults/**/*.test.ts"],
          sequence: { groupOrder: 1 },
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      // Generated requests against every operation of the OpenAPI document, over HTTP; alone and
      // last, so that "a 4xx wrote nothing" can be read off Postgres.
      {
        test: {
          name: "fuzz",
          environment: "node",
          include: ["test/fuzz/**/*.test.ts"],
          sequence: { groupOrder: 2 },
          testTimeout: 600_000,
          hookTimeout: 120_000,
        },
      },
      // Minutes of CPU on both cores (the job hashing gigabytes): alone, after the rest, so it
      // starves no test that plays media or counts on timely answers.
      {
        test: {
          name: "heavy",
          environment: "node",
          include: HEAVY,
          sequence: { groupOrder: 3 },
          testTimeout: 300_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
