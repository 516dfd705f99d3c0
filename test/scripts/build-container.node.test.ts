// The job service as the container image runs it: one esbuild bundle under plain node. It must
// start and answer, whatever its dependencies bring into the bundle (fflate's Node build has an
// `import { createRequire }` of its own, which once clashed with the bundle's banner).
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildNodeEntry, JOB_NODE_FLAGS } from "../../scripts/build-container.ts";
import { freePort } from "../../scripts/stack/proc.ts";

const dir = mkdtempSync(join(tmpdir(), "mn-container-"));
let child: ChildProcess | null = null;
afterAll(() => {
  child?.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

describe("the container's job service bundle", () => {
  it("starts under plain node with the image's flags and answers /healthz", async () => {
    const out = await buildNodeEntry("container/src/server.ts", join(dir, "server.mjs"));
    const port = await freePort("127.0.0.1");
    let stderr = "";
    child = spawn(process.execPath, [...JOB_NODE_FLAGS, out], {
      env: {
        PATH: process.env.PATH,
        PORT: String(port),
        JOB_SERVICE_SECRET: "a-secret-long-enough-for-the-job-service-0123",
        AWS_BUCKET_NAME: "media",
        AWS_REGION: "us-east-1",
        AWS_ACCESS_KEY_ID: "key",
        AWS_SECRET_ACCESS_KEY: "secret",
      },
      stdio: ["ignore", "ignore", "pipe"],
    });
    child.stderr?.on("data", (d) => (stderr += d));
    const exited = new Promise<number | null>((r) => child?.on("exit", r));
    // Up when /healthz answers; a bundle that cannot load exits at once instead.
    const up = (async () => {
      for (;;) {
        const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then(
          (r) => r.status,
          () => 0,
        );
        if (ok) return ok;
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const first = await Promise.race([up, exited.then((code) => `exited ${code}: ${stderr}`)]);
    expect(first, stderr).toBe(200);
  });

  it("the image runs it with the same node flags as the local stack and the benchmark", () => {
    const dockerfile = readFileSync(resolve(import.meta.dirname, "../../container/Dockerfile"), "utf8");
    const cmd = JSON.parse(dockerfile.match(/^CMD (\[.*\])$/m)?.[1] ?? "[]") as string[];
    expect(cmd).toEqual(["node", ...JOB_NODE_FLAGS, "server.mjs"]);
  });
});
