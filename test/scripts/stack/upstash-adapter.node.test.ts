// The Upstash REST adapter itself, spoken to over HTTP as Upstash's clients do.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { redis } from "../../../scripts/stack/config.ts";

const sha1 = (s: string) => createHash("sha1").update(s).digest("hex");
const call = async (path: string, body: unknown, headers: Record<string, string> = {}, token = redis.testRestToken) => {
  const res = await fetch(`${redis.restUrl}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as unknown };
};
const uniq = () => `adapter-${crypto.randomUUID()}`;

describe("Upstash REST adapter", () => {
  it("checks the bearer token on every path", async () => {
    for (const path of ["/", "/pipeline", "/multi-exec"]) {
      const res = await fetch(`${redis.restUrl}${path}`, { method: "POST", headers: { authorization: "Bearer nope" }, body: '["PING"]' });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ error: "Unauthorized" });
    }
  });

  it("base64-encodes replies only when asked, leaving OK and integers as they are", async () => {
    const k = uniq();
    expect(await call("/", ["SET", k, "ça va"], { "upstash-encoding": "base64" })).toEqual({ status: 200, body: { result: "OK" } });
    expect(await call("/", ["GET", k], { "upstash-encoding": "base64" })).toEqual({
      status: 200,
      body: { result: Buffer.from("ça va").toString("base64") },
    });
    expect(await call("/", ["GET", k])).toEqual({ status: 200, body: { result: "ça va" } });
    expect(await call("/", ["STRLEN", k], { "upstash-encoding": "base64" })).toEqual({ status: 200, body: { result: 6 } });
  });

  it("answers command errors in Upstash's error shape", async () => {
    expect(await call("/", ["NOSUCHCOMMAND"])).toMatchObject({ status: 400, body: { error: expect.stringMatching(/unknown command/i) } });
    expect(await call("/", { not: "a command" })).toMatchObject({ status: 400, body: { error: expect.any(String) } });
    const p = await call("/pipeline", [["SET", uniq(), "1"], ["NOSUCHCOMMAND"]]);
    expect(p.status).toBe(200);
    expect(p.body).toEqual([{ result: "OK" }, { error: expect.stringMatching(/unknown command/i) }]);
  });

  it("runs /multi-exec atomically: a command that fails to queue aborts them all", async () => {
    const k = uniq();
    const bad = await call("/multi-exec", [["SET", k, "1"], ["SET"]]);
    expect(bad.status).toBe(400);
    expect((await call("/", ["EXISTS", k])).body).toEqual({ result: 0 });
    const good = await call("/multi-exec", [
      ["SET", k, "1"],
      ["INCR", k],
    ]);
    expect(good).toEqual({ status: 200, body: [{ result: "OK" }, { result: 2 }] });
  });

  it("strips `#!lua flags=allow-key-locking` and keeps EVALSHA working by the original script's sha", async () => {
    const script = `#!lua flags=allow-key-locking\nreturn redis.call('INCRBY', KEYS[1], ARGV[1]) + ${Math.floor(Math.random() * 1e6)} * 0`;
    const k = uniq();
    const noScript = await call("/", ["EVALSHA", sha1(script), "1", k, "5"]);
    expect(noScript.status).toBe(400);
    expect(noScript.body).toMatchObject({ error: expect.stringMatching(/NOSCRIPT/) });

    expect(await call("/", ["EVAL", script, "1", k, "5"])).toEqual({ status: 200, body: { result: 5 } });
    expect(await call("/", ["EVALSHA", sha1(script), "1", k, "2"])).toEqual({ status: 200, body: { result: 7 } });

    const loaded = `#!lua flags=allow-key-locking\nreturn ${Math.floor(Math.random() * 1e6)}`;
    expect(await call("/", ["SCRIPT", "LOAD", loaded])).toEqual({ status: 200, body: { result: sha1(loaded) } });
    expect((await call("/", ["EVALSHA", sha1(loaded), "0"])).status).toBe(200);
  });

  it("gives each token its own keyspace: development's keys are invisible to the tests and the other way round", async () => {
    const k = uniq();
    const dev = (body: unknown) => call("/", body, {}, redis.restToken);
    try {
      expect(await dev(["SET", k, "from-dev"])).toEqual({ status: 200, body: { result: "OK" } });
      expect(await call("/", ["GET", k])).toEqual({ status: 200, body: { result: null } });
      expect(await call("/", ["SET", k, "from-tests"])).toEqual({ status: 200, body: { result: "OK" } });
      expect(await dev(["GET", k])).toEqual({ status: 200, body: { result: "from-dev" } });
      expect((await call("/pipeline", [["GET", k]], {}, redis.restToken)).body).toEqual([{ result: "from-dev" }]);
    } finally {
      await dev(["DEL", k]);
    }
  });

  it("refuses commands that reach another database, alone, in a pipeline or in a transaction", async () => {
    for (const [path, body] of [
      ["/", ["SELECT", "0"]],
      ["/", ["FLUSHALL"]],
      ["/pipeline", [["PING"], ["SWAPDB", "0", "1"]]],
      ["/multi-exec", [["MOVE", uniq(), "0"]]],
    ] as const) {
      expect(await call(path, body)).toMatchObject({ status: 400, body: { error: expect.stringMatching(/not allowed/) } });
    }
  });
});
