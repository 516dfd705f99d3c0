// bin/moviesnow.cjs runs a bundle built from this checkout's sources: built once per state of the
// sources, reused while they stay the same, rebuilt when one changes.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync, utimesSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");
const builds = join(root, ".local/cli");
const run = (...args: string[]) => spawnSync(process.execPath, [join(root, "bin/moviesnow.cjs"), ...args], { cwd: root, encoding: "utf8" });
const complete = () =>
  existsSync(builds) ? readdirSync(builds).filter((d) => !d.includes(".tmp-") && existsSync(join(builds, d, "moviesnow.cjs"))) : [];

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
    const before = new Set(complete());
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
    const count = complete().length;
    expect(run("--help").status).toBe(0);
    expect(complete()).toHaveLength(count);
  });
});
