// The CLI as a process against the Worker over HTTP (wrangler dev on the local stack): admin
// enrolment then login with a TOTP computed here, whoami; an upload interrupted after some parts
// resumes without sending them again; backfill reports and fixes missing metadata.
import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgres, s3Env, workerVars } from "../../../scripts/stack/config.ts";
import { totpCode, totpStep } from "../../../src/lib/crypto/totp.ts";
import { pseudoBytes } from "../../support/bytes.ts";
import { type FaultProxy, startFaultProxy } from "../../support/fault-proxy.ts";
import { liftedLimits } from "../../support/http-admin.ts";
import { type HttpWorker, startHttpWorker } from "../../support/http-worker.ts";
import { runCli } from "../../support/packaged-title.ts";
import { testDatabaseUrl, testWorkerVars } from "../../support/stack-env.ts";

const root = resolve(import.meta.dirname, "../../..");
const dir = mkdtempSync(join(tmpdir(), "mn-cli-remote-"));
const MiB = 1024 * 1024;
let worker: HttpWorker;
let proxy: FaultProxy;
// Part PUTs matching this are held back (an S3 that stalls), so a test can stop the CLI mid-upload.
let stall: RegExp | null = null;

beforeAll(async () => {
  proxy = await startFaultProxy(s3Env.S3_ENDPOINT, (req) =>
    stall && req.method === "PUT" && stall.test(req.url ?? "") ? { kind: "delay", ms: 60_000 } : { kind: "pass" },
  );
  // Presigned URLs point at the proxy; it passes them to S3 untouched.
  worker = await startHttpWorker({ ...testWorkerVars(), ...liftedLimits, S3_ENDPOINT: proxy.url });
}, 120_000);
afterAll(async () => {
  await worker?.stop();
  await proxy?.close();
  rmSync(dir, { recursive: true, force: true });
});

const env = (extra: Record<string, string> = {}) => ({
  ...process.env,
  DATABASE_URL: testDatabaseUrl,
  NEON_FETCH_ENDPOINT: postgres.fetchEndpoint,
  TOTP_ENCRYPTION_KEY: workerVars().TOTP_ENCRYPTION_KEY,
  MOVIESNOW_CONFIG_DIR: join(dir, "config"),
  XDG_STATE_HOME: join(dir, "state"),
  MOVIESNOW_STATE_DIR: "",
  MOVIESNOW_API: worker.api,
  MOVIESNOW_ADMIN_KEY: "",
  ...extra,
});
// Asynchronous: the fault proxy lives in this process and must keep serving while the CLI runs.
const cli = (args: string[], extra: Record<string, string> = {}) => runCli(args, { cwd: dir, env: env(extra) });
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

let token = "";
const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
  const r = await fetch(`${worker.api}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  expect(r.status, `${method} ${path}`).toBeLessThan(300);
  return (await r.json()) as T;
};

describe("moviesnow against the API", () => {
  it("admin create, then login with password + TOTP, then whoami", async () => {
    const email = `cli-login-${crypto.randomUUID()}@moviesnow.test`;
    const created = await cli(["admin", "create", "--email", email, "--json"], { MOVIESNOW_ADMIN_PASSWORD: "a long enough password" });
    expect(created.status, created.stderr).toBe(0);
    const secret = new URL((JSON.parse(created.stdout) as { otpauth_uri: string }).otpauth_uri).searchParams.get("secret") ?? "";

    const wrong = await cli(["login", "--email", email, "--code", "000000"], { MOVIESNOW_ADMIN_PASSWORD: "a long enough password" });
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toMatch(/401/);
    expect((await cli(["whoami"])).status).toBe(1); // not signed in

    const code = await totpCode(secret, totpStep(new Date()));
    const login = await cli(["login", "--email", email, "--code", code, "--json"], { MOVIESNOW_ADMIN_PASSWORD: "a long enough password" });
    expect(login.status, login.stderr).toBe(0);
    const file = (JSON.parse(login.stdout) as { session_file: string }).session_file;
    expect(statSync(file).mode & 0o777).toBe(0o600);
    token = (JSON.parse(readFileSync(file, "utf8")) as { token: string }).token;

    const me = await cli(["whoami", "--json"]);
    expect(me.status, me.stderr).toBe(0);
    expect(JSON.parse(me.stdout)).toMatchObject({ kind: "admin", email });
    expect((await cli(["login"])).status).toBe(2); // no --email
  }, 60_000);

  it("logout revokes the saved session on the API and forgets it; a copy of the token no longer works", async () => {
    const email = `cli-logout-${crypto.randomUUID()}@moviesnow.test`;
    const password = "a long enough password";
    // Its own session file: the later tests act with the one the first test saved.
    const own = { MOVIESNOW_CONFIG_DIR: join(dir, "config-logout") };
    const created = await cli(["admin", "create", "--email", email, "--json"], { ...own, MOVIESNOW_ADMIN_PASSWORD: password });
    const secret = new URL((JSON.parse(created.stdout) as { otpauth_uri: string }).otpauth_uri).searchParams.get("secret") ?? "";
    const code = await totpCode(secret, totpStep(new Date()));
    const login = await cli(["login", "--email", email, "--code", code, "--json"], { ...own, MOVIESNOW_ADMIN_PASSWORD: password });
    expect(login.status, login.stderr).toBe(0);
    const file = (JSON.parse(login.stdout) as { session_file: string }).session_file;
    const saved = (JSON.parse(readFileSync(file, "utf8")) as { token: string }).token;

    const out = await cli(["logout", "--json"], own);
    expect(out.status, out.stderr).toBe(0);
    expect(JSON.parse(out.stdout)).toEqual({ signed_out: true, revoked: true });
    expect(existsSync(file)).toBe(false);
    const reuse = await fetch(`${worker.api}/admin/auth/me`, { headers: { authorization: `Bearer ${saved}` } });
    expect(reuse.status).toBe(401);
    expect((await cli(["whoami"], own)).status).toBe(1);
    const again = await cli(["logout"], own);
    expect(again.status).toBe(0);
    expect(again.stdout.trim()).toBe("not signed in");
  }, 60_000);

  it("an upload stopped after some parts resumes without sending them again, then finalizes", async () => {
    const title = await call<{ id: string }>("POST", "/admin/titles", { kind: "series", name: `CLI upload ${crypto.randomUUID()}` });
    const ep = await call<{ id: string }>("POST", `/admin/titles/${title.id}/episodes`, { season_number: 1, episode_number: 1 });
    const bytes = pseudoBytes(26 * MiB + 3, 31); // 6 parts of 5 MiB
    const file = join(dir, "Episode 1.mkv");
    writeFileSync(file, bytes);
    const args = ["upload", "--title-id", title.id, "--episode-id", ep.id, "--multipart", "--concurrency", "1", "--json", file];

    // First run: parts 1 and 2 go through, part 3 stalls; the CLI is killed there.
    stall = /partNumber=3&/;
    const first: ChildProcess = spawn(process.execPath, [resolve(root, "bin/moviesnow.cjs"), ...args], { cwd: dir, env: env() });
    for (let i = 0; i < 300 && !proxy.log.some((l) => l.fault === "delay"); i++) await new Promise((r) => setTimeout(r, 100));
    expect(proxy.log.some((l) => l.fault === "delay")).toBe(true);
    first.kill("SIGKILL");
    await new Promise((r) => first.once("exit", r));
    stall = null;
    const sentBefore = proxy.log.filter((l) => l.method === "PUT" && /partNumber=/.test(l.path)).length;
    // What the stopped run left to resume from lives in the state directory, not beside the media.
    expect(readdirSync(dir).filter((f) => f.includes("moviesnow"))).toEqual([]);
    const states = readdirSync(join(dir, "state/moviesnow/uploads"));
    expect(states).toHaveLength(1);
    expect(JSON.parse(readFileSync(join(dir, "state/moviesnow/uploads", states[0] ?? ""), "utf8"))).toMatchObject({ file });

    const second = await cli(args);
    expect(second.status, second.stderr).toBe(0);
    const out = JSON.parse(second.stdout) as {
      asset_id: string;
      sha256: string;
      parts_sent: number;
      parts_reused: number;
      upload_state: string;
    };
    expect(out).toMatchObject({ sha256: sha(bytes), parts_reused: 2, parts_sent: 4, upload_state: "finalized" });
    expect(readdirSync(join(dir, "state/moviesnow/uploads"))).toEqual([]); // done: nothing left to resume
    const puts = proxy.log.filter((l) => l.method === "PUT" && /partNumber=/.test(l.path)).slice(sentBefore);
    expect(puts.map((l) => /partNumber=(\d+)/.exec(l.path)?.[1]).sort()).toEqual(["3", "4", "5", "6"]);
    const asset = await call<{ size_bytes: number; sha256: string }>("GET", `/admin/assets/${out.asset_id}`);
    expect(asset).toMatchObject({ size_bytes: bytes.length, sha256: sha(bytes) });
    // The archive in S3 is the file.
    const head = await call<{ size_bytes: number }>("GET", `/admin/assets/${out.asset_id}/head`);
    expect(head.size_bytes).toBe(bytes.length);
  }, 120_000);

  it("backfill fills in missing sizes and checksums, reports what changed and what failed", async () => {
    const title = await call<{ id: string }>("POST", "/admin/titles", { kind: "movie", name: `CLI backfill ${crypto.randomUUID()}` });
    const bytes = pseudoBytes(300_000, 41);
    const created = await call<{ asset: { id: string }; upload: { url: string; headers: Record<string, string> } }>(
      "POST",
      `/admin/titles/${title.id}/assets`,
      { kind: "DOWNLOAD", filename: "movie.mp4", size_bytes: bytes.length, content_type: "video/mp4" },
    );
    expect((await fetch(created.upload.url, { method: "PUT", body: bytes, headers: created.upload.headers })).status).toBe(200);
    const before = await call<{ sha256: string | null }>("GET", `/admin/assets/${created.asset.id}`);
    expect(before.sha256).toBeNull();

    const missingId = crypto.randomUUID();
    const r = await cli(["backfill", "--ids", `${created.asset.id},${missingId}`, "--json"]);
    expect(r.status).toBe(1); // one failed
    const report = JSON.parse(r.stdout) as { summary: Record<string, number>; items: { id: string; outcome: string; changed: string[] }[] };
    expect(report.summary).toMatchObject({ total: 2, updated: 1, failed: 1 });
    expect(report.items[0]).toMatchObject({
      id: created.asset.id,
      outcome: "updated",
      changed: expect.arrayContaining(["sha256", "crc32"]),
    });
    expect(report.items[1]).toMatchObject({ id: missingId, outcome: "failed" });
    expect(await call<{ sha256: string }>("GET", `/admin/assets/${created.asset.id}`)).toMatchObject({ sha256: sha(bytes) });

    // Again: nothing left to change; a table for people.
    const again = await cli(["backfill", "--ids", created.asset.id]);
    expect(again.status).toBe(0);
    expect(again.stdout).toMatch(/1 assets: 0 updated, 1 unchanged, 0 failed/);
    expect((await cli(["backfill"])).status).toBe(2);
  }, 60_000);
});
