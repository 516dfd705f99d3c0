// The archive extractors people use, each run on one ZIP into a folder of its own: what each
// wrote, as paths relative to the folder the test named (NFC, sorted), so a test can check that
// every member landed exactly where its name says and nowhere else.
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { expect } from "vitest";

const TOOLS: Record<string, (zip: string, target: string) => string[]> = {
  unzip: (zip, t) => ["unzip", "-q", zip, "-d", t],
  "7zz": (zip, t) => ["7zz", "x", "-y", `-o${t}`, zip],
  bsdtar: (zip, t) => ["bsdtar", "-xf", zip, "-C", t],
  python: (zip, t) => ["python3", "-c", "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])", zip, t],
};

/** Every file under `root`, relative to it. */
const filesUnder = (root: string): string[] =>
  readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => relative(root, join(d.parentPath, d.name)).normalize("NFC"))
    .sort();

/** Extracts `zip` with each tool into `{dir}/x-{tool}/inside` and expects exactly `names` there. */
export function expectEveryExtractorWrites(zip: string, dir: string, names: string[]): void {
  const expected = names.map((n) => join("inside", n).normalize("NFC")).sort();
  for (const [tool, argv] of Object.entries(TOOLS)) {
    const target = join(dir, `x-${tool}`, "inside");
    mkdirSync(target, { recursive: true });
    const [cmd, ...args] = argv(zip, target);
    const r = spawnSync(cmd as string, args, { encoding: "utf8" });
    expect(r.status, `${tool}: ${r.stdout}${r.stderr}`).toBe(0);
    // Listed from the tool's own folder: a member written outside "inside" shows up too.
    expect(filesUnder(join(dir, `x-${tool}`)), tool).toEqual(expected);
  }
}
