// A slow or failing S3 in front of the Worker (a loopback proxy that stalls answers or cuts a
// body): calls that need S3 answer 503 naming it by the dependency timeout, never hang; /ready
// names S3; what needs no S3 round trip (signing a URL) still works.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { s3Env } from "../../scripts/stack/config.ts";
import { pseudoBytes } from "../support/bytes.ts";
import { type Fault, type FaultProxy, startFaultProxy } from "../support/fault-proxy.ts";
import { adminWorkerVars } from "../support/http-admin.ts";
import { type HttpWorker, startHttpWorker } from "../support/http-worker.ts";

const ADMIN_KEY = `slow-s3-${randomUUID()}`;
const TIMEOUT_MS = 1500;
let worker: HttpWorker;
let proxy: FaultProxy;
let fault: (method: string) => Fault = () => ({ kind: "pass" });

beforeAll(async () => {
  proxy = await startFaultProxy(s3Env.S3_ENDPOINT, (req) => fault(req.method ?? "GET"));
  // Limits lifted: every Node test's requests come from 127.0.0.1, other files' must not use up ours.
  worker = await startHttpWorker(
    adminWorkerVars(ADMIN_KEY, { S3_ENDPOINT: proxy.url, DEPENDENCY_TIMEOUT_MS: String(TIMEOUT_MS), READY_TIMEOUT_MS: "1000" }),
  );
}, 120_000);
afterAll(async () => {
  await worker?.stop();
  await proxy?.close();
});

const call = async (method: string, path: string, body?: unknown) => {
  const t0 = Date.now();
  const res = await fetch(`${worker.api}${path}`, {
    method,
    redirect: "manual",
    headers: { "x-admin-key": ADMIN_KEY, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, ms: Date.now() - t0, type: res.headers.get("content-type") };
};

describe("with a slow or failing S3", () => {
  it("answers 503 naming S3 by the timeout instead of hanging, and keeps signing URLs", async () => {
    const t = (await call("POST", "/admin/titles", { kind: "movie", name: `Slow S3 ${randomUUID()}` })).body as { id: string };
    const bytes = pseudoBytes(256 * 1024, 3);
    const created = await call("POST", `/admin/titles/${t.id}/assets`, {
      kind: "DOWNLOAD",
      filename: "slow.mp4",
      size_bytes: bytes.length,
    });
    const { asset, upload } = created.body as {
      asset: { id: string; storage_key: string };
      upload: { url: string; headers: Record<string, string> };
    };
    const put = await fetch(upload.url, { method: "PUT", body: bytes, headers: upload.headers });
    await put.body?.cancel();
    expect(put.status).toBe(200);
    expect((await call("GET", `/admin/assets/${asset.id}/head`)).status).toBe(200);
    await call("POST", `/admin/titles/${t.id}/publish?force=true`);

    // Every S3 answer held back for a minute.
    fault = () => ({ kind: "delay", ms: 60_000 });
    const head = await call("GET", `/admin/assets/${asset.id}/head`);
    expect(head.status).toBe(503);
    expect(head.type).toContain("application/problem+json");
    expect(head.body).toMatchObject({ code: "DEPENDENCY_UNAVAILABLE" });
    expect(head.body.detail).toMatch(/S3/);
    expect(head.ms).toBeLessThan(TIMEOUT_MS + 3000);

    const ready = await call("GET", "/ready");
    expect(ready.status).toBe(503);
    expect(ready.body.failed).toEqual(["s3"]);
    expect(ready.ms).toBeLessThan(TIMEOUT_MS + 3000);

    // Signing needs no round trip to S3.
    const signed = await call("POST", "/delivery/download-url", { storage_key: asset.storage_key });
    expect(signed.status).toBe(200);

    // A body cut off mid-way: the checksum is a 503, not a wrong digest and not a 500.
    fault = (m) => (m === "GET" ? { kind: "cut", afterBytes: 64 * 1024 } : { kind: "pass" });
    const sum = await call("POST", `/admin/assets/${asset.id}/checksum`);
    expect(sum.status).toBe(503);
    expect(sum.body.detail).toMatch(/S3/);

    fault = () => ({ kind: "pass" });
    const again = await call("POST", `/admin/assets/${asset.id}/checksum`);
    expect(again.status).toBe(200);
    expect((await call("GET", "/ready")).status).toBe(200);
  }, 60_000);
});
