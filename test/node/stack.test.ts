// The local stack as the developer and the test run see it.
import { AwsClient } from "aws4fetch";
import { describe, expect, it } from "vitest";
import { s3 } from "../../scripts/stack/config.ts";
import { stackStatus, stackUp } from "../../scripts/stack/index.ts";

describe("local stack", () => {
  it("`up` is idempotent: a second call leaves the same processes running", async () => {
    const before = await stackStatus();
    await stackUp({ quiet: true });
    const after = await stackStatus();
    expect(Object.values(after).every((s) => s.up)).toBe(true);
    for (const name of ["redis", "swift-proxy", "neon-adapter", "upstash-adapter"]) expect(after[name]?.pid).toBe(before[name]?.pid);
  });

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
    expect(preflight.headers.get("access-control-allow-origin")).toMatch(/\*|http:\/\/localhost:5173/);

    const put = await fetch(signed, { method: "PUT", body: "from a browser", headers: { origin: "http://localhost:5173" } });
    expect(put.status).toBe(200);
    expect(put.headers.get("access-control-allow-origin")).toMatch(/\*|http:\/\/localhost:5173/);
  });
});
