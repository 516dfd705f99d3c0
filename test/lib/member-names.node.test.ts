// Names inside our ZIPs come from admin-given filenames: whatever they hold, every extractor
// people use writes each member inside the folder it extracts to, under the name we chose.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildBundle } from "../../scripts/cli/build-bundle.ts";
import { isSafeMemberName, safeMemberName } from "../../src/lib/member-names.ts";
import { planZip } from "../../src/lib/zip64.ts";
import { expectEveryExtractorWrites } from "../support/extractors.ts";

const dir = mkdtempSync(join(tmpdir(), "mn-names-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const hostile = [
  "S01E01 - ..\\..\\..\\Windows\\evil.mkv",
  "S01E02 - C:\\Users\\Public\\evil.mkv",
  'S01E03 - what? <really> "quoted" a|b*c.mkv',
  "S01E04 - trailing dots and spaces. . .",
  "CON.mkv",
  "lpt1",
  "S01E05 - tab\there\u0001.mkv",
  "../../escape.mkv",
  "/etc/absolute.mkv",
  `S01E06 - ${"é".repeat(200)}.mkv`,
];

describe("ZIP member names", () => {
  it("are made safe in one place: separators, drive colons, reserved and control characters, device names, trailing dots, length", () => {
    expect(hostile.map(safeMemberName)).toEqual([
      "S01E01 - .._.._.._Windows_evil.mkv",
      "S01E02 - C__Users_Public_evil.mkv",
      "S01E03 - what_ _really_ _quoted_ a_b_c.mkv",
      "S01E04 - trailing dots and spaces",
      "_CON.mkv",
      "_lpt1",
      "S01E05 - tab_here_.mkv",
      "_/_/escape.mkv",
      "etc/absolute.mkv",
      `S01E06 - ${"é".repeat(121)}.mkv`,
    ]);
    for (const n of hostile.map(safeMemberName)) {
      expect(isSafeMemberName(n)).toBe(true);
      for (const seg of n.split("/")) expect(new TextEncoder().encode(seg).length).toBeLessThanOrEqual(255);
    }
  });

  it("the layout module refuses a name that was not made safe", () => {
    const entry = (name: string) => ({ name, size: 1, crc32: 0, mtime: new Date(0) });
    for (const name of hostile) expect(() => planZip([entry(name)])).toThrow(/unsafe member name/);
    expect(() => planZip([entry(safeMemberName(hostile[0] as string))])).not.toThrow();
  });

  it("unzip, 7-Zip, bsdtar and Python extract every member inside the target folder, under its safe name", async () => {
    const files = hostile.map((_, i) => {
      const f = join(dir, `src-${i}.bin`);
      writeFileSync(f, `member ${i}\n`);
      return f;
    });
    const out = join(dir, "season.zip");
    await buildBundle({ out, files, names: hostile, mtimes: hostile.map(() => new Date("2026-01-01T00:00:00Z")) });
    expectEveryExtractorWrites(out, dir, hostile.map(safeMemberName));
  });
});
