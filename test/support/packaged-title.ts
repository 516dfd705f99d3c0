// A title packaged the way an operator does it: a short 1080p clip made by ffmpeg (test pattern
// + tone) and an SRT subtitle, through `moviesnow package` against a Worker over HTTP, published
// without force. For the tests that play it with real clients.
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { expect } from "vitest";
import type { adminOverHttp } from "./http-admin.ts";

const root = resolve(import.meta.dirname, "../..");

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * A process run to its end without blocking the event loop (stdin closed). spawnSync would: a
 * pooled keep-alive connection then outlives the server's idle timeout unnoticed, and the next
 * request on it fails with "other side closed".
 */
export function runProcess(cmd: string, args: string[], o: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliRun> {
  return new Promise((done) => {
    const child = spawn(cmd, args, o);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.stdin.end();
    child.on("close", (status) => done({ status, stdout, stderr }));
  });
}

/** `moviesnow …` as a process, in `cwd`, with exactly the environment given (stdin closed). */
export const runCli = (args: string[], o: { cwd: string; env: NodeJS.ProcessEnv }): Promise<CliRun> =>
  runProcess(process.execPath, [resolve(root, "bin/moviesnow.cjs"), ...args], o);

/** `moviesnow …` as an operator runs it: the API and the admin key in its environment. */
export const moviesnow = (args: string[], o: { cwd: string; api: string; adminKey: string }) =>
  runCli(args, {
    cwd: o.cwd,
    env: { ...process.env, MOVIESNOW_API: o.api, MOVIESNOW_ADMIN_KEY: o.adminKey, MOVIESNOW_CONFIG_DIR: join(o.cwd, "config") },
  });

/** A `seconds`-long 1920x1080 25 fps clip with a 440 Hz tone, and an SRT subtitle with two cues. */
export async function makeClip(dir: string, seconds = 10): Promise<{ clip: string; srt: string }> {
  const clip = join(dir, "clip.mp4");
  const srt = join(dir, "clip.en.srt");
  const made = await runProcess("ffmpeg", [
    ...["-v", "error", "-y", "-f", "lavfi", "-i", `testsrc2=size=1920x1080:rate=25:duration=${seconds}`],
    ...["-f", "lavfi", "-i", `sine=frequency=440:sample_rate=48000:duration=${seconds}`],
    ...["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", clip],
  ]);
  expect(made.status, made.stderr).toBe(0);
  writeFileSync(srt, "1\n00:00:01,000 --> 00:00:04,000\nA test pattern, and a tone.\n\n2\n00:00:05,000 --> 00:00:08,000\nStill testing.\n");
  return { clip, srt };
}

/** A movie packaged from a fresh clip with an English default subtitle, published without force; its master_url. */
export async function packagedMovie(o: {
  dir: string;
  api: string;
  adminKey: string;
  admin: ReturnType<typeof adminOverHttp>;
  mp4?: boolean;
}) {
  const { clip, srt } = await makeClip(o.dir);
  const title = await o.admin<{ id: string }>("POST", "/admin/titles", { kind: "movie", name: `Packaged ${crypto.randomUUID()}` });
  const args = ["package", clip, "--title-id", title.id, "--subtitle", `en:default=${srt}`, ...(o.mp4 ? ["--mp4"] : []), "--json"];
  const run = await moviesnow(args, { api: o.api, adminKey: o.adminKey, cwd: o.dir });
  expect(run.status, run.stderr).toBe(0);
  await o.admin("POST", `/admin/titles/${title.id}/publish`);
  const streams = (await (await fetch(`${o.api}/titles/${title.id}/streams`)).json()) as { master_url: string };
  return { titleId: title.id, masterUrl: streams.master_url };
}
