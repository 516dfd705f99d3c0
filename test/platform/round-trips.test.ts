// Server-Timing outside production: one entry per round trip to an origin (db, redis, s3, job)
// with its duration, then the whole request; none in production. (Liveness, the API document and
// the docs page answer without configuration or clients, so they reach no origin and carry none.)
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/http/app";
import { pseudoBytes, publishedMovieWith } from "../support/delivery";

const app = createApp({ logSink: () => {} });
/** The origins a response says it waited on, in order ("total" left out). */
const origins = (res: Response) =>
  (res.headers.get("server-timing") ?? "")
    .split(", ")
    .map((e) => e.split(";")[0])
    .filter((o) => o && o !== "total");
const post = (path: string, body: unknown) =>
  app.request(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }, env);

describe("Server-Timing", () => {
  it("names every origin round trip a request made, with its duration, and the request's total", async () => {
    // Readiness asks each origin.
    const ready = await app.request("/api/v1/ready", {}, env);
    expect(new Set(origins(ready))).toEqual(new Set(["db", "redis", "s3"]));
    expect(ready.headers.get("server-timing")).toMatch(/, total;dur=\d+(\.\d)?$/);

    const { title, assets } = await publishedMovieWith([{ kind: "ORIGINAL", filename: "timed.mkv", bytes: pseudoBytes(16, 3) }]);
    // A title nobody read yet: not in the edge cache, so Postgres answers it, in one round trip
    // (the title with its seasons, episodes and artwork); so does a search nobody made yet.
    const miss = await app.request(`/api/v1/titles/${title.id}`, {}, env);
    expect(miss.status).toBe(200);
    expect(origins(miss).filter((o) => o === "db")).toHaveLength(1);
    const search = await app.request(`/api/v1/titles?q=${crypto.randomUUID()}`, {}, env);
    expect(search.status).toBe(200);
    expect(origins(search).filter((o) => o === "db")).toHaveLength(1);
    for (const entry of (miss.headers.get("server-timing") ?? "").split(", "))
      expect(entry).toMatch(/^(db|redis|s3|job|total);dur=\d+(\.\d)?$/);

    // A cold presign checks the key in Postgres (its rate limit is decided here); it reads nothing from S3.
    const presign = await post("/api/v1/delivery/download-url", { storage_key: assets[0]?.storage_key });
    expect(presign.status).toBe(200);
    expect(origins(presign)).toContain("db");
    expect(origins(presign)).not.toContain("s3");
  });

  it("is not sent in production", async () => {
    const res = await app.request("/api/v1/health", {}, { ...env, ENVIRONMENT: "production" });
    expect(res.status).toBe(200);
    expect(res.headers.get("server-timing")).toBeNull();
  });
});
