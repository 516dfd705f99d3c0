// What `wrangler deploy` would ship for each environment of wrangler.toml: the resolved
// configuration (wrangler's own reader) and the bindings of a real `wrangler deploy --dry-run`.
// A plain deploy must not be able to replace production, and production must have what its
// bundle jobs and dashboards need.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { unstable_readConfig } from "wrangler";
import { envSchema, SECRET_VARS } from "../../src/platform/env.ts";
import { commandRecorder } from "../support/command-recorder.ts";

const root = resolve(import.meta.dirname, "../..");
const config = join(root, "wrangler.toml");
const dir = mkdtempSync(join(tmpdir(), "mn-wrangler-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A stand-in for the Docker CLI that only records what wrangler asks of it: a dry run of an
 * environment with a container builds its image (no Docker engine runs on these machines).
 */
function dockerRecorder(): { bin: string; calls: () => string[] } {
  const log = join(dir, "docker-calls");
  writeFileSync(log, "");
  const bin = commandRecorder(dir, "docker", log);
  // What wrangler asked of docker, without the tool's name in front.
  const calls = () =>
    readFileSync(log, "utf8")
      .trim()
      .split("\n")
      .filter(Boolean)
      .map((l) => l.replace(/^docker /, ""));
  return { bin, calls };
}

function dryRun(env: string, docker?: string): { output: string; status: number | null } {
  const r = spawnSync(
    process.execPath,
    [
      join(root, "node_modules/wrangler/bin/wrangler.js"),
      "deploy",
      "--dry-run",
      `--env=${env}`,
      "--outdir",
      join(dir, `out-${env || "dev"}`),
    ],
    {
      cwd: root,
      encoding: "utf8",
      env: {
        ...process.env,
        WRANGLER_SEND_METRICS: "false",
        CLOUDFLARE_CF_FETCH_ENABLED: "false",
        ...(docker ? { WRANGLER_DOCKER_BIN: docker } : {}),
      },
    },
  );
  return { output: `${r.stdout}${r.stderr}`, status: r.status };
}

/** The "binding → resource" rows wrangler prints. */
const bindings = (output: string) =>
  [...output.matchAll(/^env\.(\w+) \(([^)]*)\)\s+(.+?)\s*$/gm)].map((m) => ({ name: m[1], value: m[2], type: m[3] }));

const known = Object.keys(envSchema.shape);

describe("wrangler.toml", () => {
  const dev = unstable_readConfig({ config });
  const prod = unstable_readConfig({ config, env: "production" });

  it("the top level is a separate, unrouted Worker: a plain deploy cannot replace production", () => {
    expect(prod.name).toBe("moviesnow-api");
    expect(dev.name).not.toBe(prod.name);
    expect(dev.routes ?? []).toEqual([]);
    expect(dev.route).toBeUndefined();
    expect(dev.workers_dev).toBe(false);
    expect(dev.containers ?? []).toEqual([]);
  });

  it("production is served on its configured custom domain and runs bundle jobs in a container", () => {
    expect(prod.routes).toEqual([{ pattern: expect.any(String), custom_domain: true }]);
    expect(prod.workers_dev).toBe(false);
    expect(prod.containers).toEqual([
      expect.objectContaining({
        class_name: "BundleJobContainer",
        image: join(root, "container/Dockerfile"),
        image_build_context: root,
        instance_type: "basic",
        rollout_active_grace_period: 900,
      }),
    ]);
    expect(prod.observability).toMatchObject({ enabled: true, traces: { enabled: true } });
    // One log event per request (ours, not also the runtime's), sampled as docs/capacity.md chose.
    expect(prod.observability?.logs).toMatchObject({ enabled: true, invocation_logs: false, head_sampling_rate: 0.01 });
  });

  it("sets each var once, only names the Worker parses, and never a secret", () => {
    for (const c of [dev, prod]) {
      for (const name of Object.keys(c.vars)) {
        expect(known, `${name} is not a setting of src/platform/env.ts`).toContain(name);
        expect(SECRET_VARS as readonly string[], `${name} is a secret`).not.toContain(name);
      }
    }
    // Defaults live in src/platform/env.ts; the file sets only what a deployment changes.
    expect(Object.keys(prod.vars).length).toBeLessThanOrEqual(8);
  });

  it("a dry run of the top level ships the season object and the analytics dataset, and no container", () => {
    const { output, status } = dryRun("");
    expect(status, output).toBe(0);
    expect(bindings(output)).toEqual([
      { name: "SEASON_BUNDLE", value: "SeasonBundle", type: "Durable Object" },
      { name: "ANALYTICS", value: "moviesnow_dev", type: "Analytics Engine Dataset" },
      { name: "ENVIRONMENT", value: '"development"', type: "Environment Variable" },
    ]);
    expect(output).not.toMatch(/containers are available/);
  });

  it("a dry run of production builds the job image from container/Dockerfile and binds it", () => {
    const docker = dockerRecorder();
    const { output, status } = dryRun("production", docker.bin);
    expect(status, output).toBe(0);
    const b = bindings(output);
    expect(b.filter((x) => x.type !== "Environment Variable")).toEqual([
      { name: "SEASON_BUNDLE", value: "SeasonBundle", type: "Durable Object" },
      { name: "BUNDLE_JOBS", value: "BundleJobContainer", type: "Durable Object" },
      { name: "ANALYTICS", value: "moviesnow", type: "Analytics Engine Dataset" },
    ]);
    expect(b).toContainEqual({ name: "ENVIRONMENT", value: '"production"', type: "Environment Variable" });
    expect(output).toMatch(/containers are available:\n- moviesnow-api-bundlejobcontainer-production \(.*container\/Dockerfile\)/);
    const build = docker.calls().find((c) => c.startsWith("build "));
    expect(build).toMatch(/--platform linux\/amd64/);
    expect(build?.endsWith(` ${root}`)).toBe(true);
  });
});
