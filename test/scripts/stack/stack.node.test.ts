// The local stack as the developer and the test run see it.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { AwsClient } from "aws4fetch";
import { describe, expect, it } from "vitest";
import { browserOrigins, s3 } from "../../../scripts/stack/config.ts";
import { stackStatus, stackUp } from "../../../scripts/stack/index.ts";

describe("local stack", () => {
  it("`up` is idempotent: a second call leaves the same processes running", async () => {
    const before = await stackStatus();
    await stackUp({ quiet: true });
    const after = await stackStatus();
    expect(Object.values(after).every((s) => s.up)).toBe(true);
    for (const name of ["redis", "swift-proxy", "neon-adapter", "upstash-adapter"]) expect(after[name]?.pid).toBe(before[name]?.pid);
  });

  it("`up` refuses, naming them, ports held by a stack it did not start, and starts nothing", () => {
    // Another checkout's state directory: from there, this run's services are someone else's.
    const other = mkdtempSync(join(tmpdir(), "mn-other-stack-"));
    try {
      const root = resolve(import.meta.dirname, "../../..");
      const r = spawnSync(process.execPath, [join(root, "node_modules/tsx/dist/cli.mjs"), join(root, "scripts/stack.ts"), "up"], {
        cwd: root,
        encoding: "utf8",
        env: { ...process.env, MN_STACK_DIR: other },
        timeout: 120_000,
      });
      expect(r.status).not.toBe(0);
      expect(r.stderr + r.stdout).toMatch(
        /ports taken by processes this checkout did not start: postgres \(127\.0\.0\.1:\d+\), neon-adapter/,
      );
      expect(r.stderr + r.stdout).toMatch(/MN_\* port variables/);
      expect(existsSync(join(other, "run")) ? readdirSync(join(other, "run")) : []).toEqual([]);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  }, 120_000);

  it("lets a browser upload to a presigned PUT URL (CORS preflight and response headers)", async () => {
    const aws = new AwsClient({ accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, region: s3.region, service: "s3" });
    const u = new URL(`${s3.endpoint}/${s3.bucket}/cors/${crypto.randomUUID()}.bin`);
    u.searchParams.set("X-Amz-Expires", "300");
    const signed = (await aws.sign(u.toString(), { method: "PUT", aws: { signQuery: true } })).url;

    const preflight = await fetch(signed, {
      method: "OPTIONS",
      headers: { origin: "http://localhost:5173", "access-control-request-method": "PUT" },
    });
    expect(preflight.status).toBe(200);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("http://localhost:5173");

    const put = await fetch(signed, { method: "PUT", body: "from a browser", headers: { origin: "http://localhost:5173" } });
    expect(put.status).toBe(200);
    expect(put.headers.get("access-control-allow-origin")).toBe("http://localhost:5173");
  });

  it("answers CORS for the stack's browser origins only, never *, as the production bucket lists its origins", async () => {
    expect(browserOrigins).not.toContain("*");
    const aws = new AwsClient({ accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, region: s3.region, service: "s3" });
    const key = `cors/${crypto.randomUUID()}.bin`;
    await aws.fetch(`${s3.endpoint}/${s3.bucket}/${key}`, { method: "PUT", body: "bytes" });
    const u = new URL(`${s3.endpoint}/${s3.bucket}/${key}`);
    u.searchParams.set("X-Amz-Expires", "300");
    const signed = (await aws.sign(u.toString(), { aws: { signQuery: true } })).url;
    const other = "http://127.0.0.1:5174";
    const preflight = await fetch(signed, { method: "OPTIONS", headers: { origin: other, "access-control-request-method": "GET" } });
    expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
    const get = await fetch(signed, { headers: { origin: other } });
    expect(get.status).toBe(200);
    expect(get.headers.get("access-control-allow-origin")).toBeNull();
    await get.arrayBuffer();
    const site = browserOrigins.at(-1) ?? "";
    const mine = await fetch(signed, { headers: { origin: site } });
    expect(mine.headers.get("access-control-allow-origin")).toBe(site);
    await mine.arrayBuffer();
  });
});
