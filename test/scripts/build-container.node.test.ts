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

  it("the build context sends only what the Dockerfile copies: no node_modules, stack data, .dev.vars or secrets", () => {
    const root = resolve(import.meta.dirname, "../..");
    const dockerfile = readFileSync(resolve(root, "container/Dockerfile"), "utf8");
    const rules = readFileSync(resolve(root, ".dockerignore"), "utf8")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith("#"));
    // Everything out, then the COPY sources back in, and nothing else.
    expect(rules[0]).toBe("*");
    const kept = rules.slice(1).map((r) => r.replace(/^!/, ""));
    expect(rules.slice(1).every((r) => r.startsWith("!"))).toBe(true);
    const copied = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)]
      .flatMap((m) => (m[1] ?? "").split(/\s+/))
      .map((p) => p.replace(/\/$/, ""));
    expect(copied.length).toBeGreaterThan(0);
    expect([...kept].sort()).toEqual([...copied].sort());
    for (const never of ["node_modules", ".local", ".dev.vars", ".git", "prod.secrets.env", "terraform"]) expect(kept).not.toContain(never);
  });
});
