// bin/moviesnow.cjs runs a bundle built from this checkout's sources: built once per state of the
// sources, reused while they stay the same, rebuilt when one changes.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync, utimesSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../../..");
const builds = join(root, ".local/cli");
const run = (...args: string[]) => spawnSync(process.execPath, [join(root, "bin/moviesnow.cjs"), ...args], { cwd: root, encoding: "utf8" });
const complete = () =>
  existsSync(builds) ? readdirSync(builds).filter((d) => !d.includes(".tmp-") && existsSync(join(builds, d, "moviesnow.cjs"))) : [];
/**
 * Every build there is or is being made (`<name>.tmp-<pid>` until it is renamed): other test files
 * run the bin meanwhile, and a build of theirs that finishes later is not one this test caused.
 */
const known = () => new Set(existsSync(builds) ? readdirSync(builds).map((d) => d.replace(/\.tmp-\d+$/, "")) : []);

describe("bin/moviesnow.cjs", () => {
  it("builds once per state of the sources and reuses the build while they stay the same", () => {
    expect(run("--help").status).toBe(0);
    const before = complete();
    expect(before.length).toBeGreaterThan(0);
    const again = run("--help");
    expect(again.status).toBe(0);
    expect(again.stdout).toMatch(/^usage: moviesnow <command>/);
    expect(complete()).toEqual(before);
  });

  it("rebuilds after a source changes, and finds the old build again when it changes back", () => {
    const source = join(root, "scripts/cli/progress.ts");
    // Whole seconds, so that setting the time back is exact.
    const t0 = new Date(Math.floor(statSync(source).mtimeMs / 1000) * 1000);
    utimesSync(source, t0, t0);
    expect(run("--help").status).toBe(0);
    const before = known();
    // A time no earlier run has given it, so no earlier build matches.
    const later = new Date(t0.getTime() + 1000 * (1 + Math.floor(Math.random() * 1e6)));
    utimesSync(source, later, later);
    try {
      const changed = run("build-bundle", "--help");
      expect(changed.status, changed.stderr).toBe(0);
      expect(changed.stdout).toMatch(/^moviesnow build-bundle --out/);
      expect(complete().filter((d) => !before.has(d))).toHaveLength(1);
    } finally {
      utimesSync(source, t0, t0);
    }
    const back = known();
    expect(run("--help").status).toBe(0);
    expect(complete().filter((d) => !back.has(d))).toHaveLength(0);
  });
});

describe("moviesnow as operators meet it", () => {
  it("--version prints the package's version", () => {
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string };
    for (const flag of ["--version", "-V"]) {
      const r = run(flag);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout.trim()).toBe(`moviesnow ${pkg.version}`);
    }
  });

  it("every command's help ends with examples that run that command", () => {
    const names = [...run("--help").stdout.matchAll(/^ {2}([a-z-]+) {2,}/gm)].map((m) => m[1] ?? "");
    expect(names).toEqual(expect.arrayContaining(["build-bundle", "upload", "backfill", "admin", "login", "whoami", "logout"]));
    for (const name of names) {
      const help = run(name, "--help");
      expect(help.status, name).toBe(0);
      const examples = help.stdout.split("Examples:\n")[1] ?? "";
      const lines = examples.split("\n").filter((l) => l.trim());
      expect(lines.length, `${name} --help has examples`).toBeGreaterThan(0);
      for (const l of lines) expect(l, name).toMatch(new RegExp(`moviesnow ${name}\\b`));
    }
  });

  it("never shows a typed password on the terminal", async () => {
    // A real terminal: script(1) runs the CLI on a pseudo-terminal and passes on what it shows.
    // The password is typed once the prompt is up, as a person would.
    const password = `typed-secret-${Date.now()}`;
    const env = { ...process.env, MOVIESNOW_ADMIN_PASSWORD: "", MOVIESNOW_CONFIG_DIR: join(root, ".local/no-session") };
    const cmd = `${process.execPath} ${join(root, "bin/moviesnow.cjs")} login --api http://127.0.0.1:9/api/v1 --email ops@moviesnow.test`;
    const child = spawn("script", ["-qfec", cmd, "/dev/null"], { env, stdio: ["pipe", "pipe", "pipe"] });
    let shown = "";
    let typed = false;
    const onData = (d: Buffer) => {
      shown += d.toString("utf8");
      if (!typed && shown.includes("Password: ")) {
        typed = true;
        child.stdin.write(`${password}\r`);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    const status = await new Promise<number | null>((done) => child.on("close", done));
    expect(typed, shown).toBe(true);
    expect(shown).toMatch(/could not|fetch failed|ECONNREFUSED|unreachable/i); // it went on to sign in
    expect(status).not.toBe(0);
    expect(shown).not.toContain(password);
  }, 60_000);
});
