import { describe, expect, it } from "vitest";
import { keys, safeFilename } from "../../src/lib/storage-keys";

const T = "0b6f3a4e-8d1c-4c57-9a43-5f0e7c1d2b3a";
const E = "5a1e2f3c-7b8d-4e9f-a0b1-c2d3e4f5a6b7";

describe("storage key layout", () => {
  it("builds every prefix of the layout from ids", () => {
    expect(keys.original(T, null, "Film.mkv")).toBe(`originals/${T}/Film.mkv`);
    expect(keys.original(T, E, "E01.mkv")).toBe(`originals/${T}/${E}/E01.mkv`);
    expect(keys.download(T, E, "1080p", "E01.mp4")).toBe(`downloads/${T}/${E}/1080p/E01.mp4`);
    expect(keys.hls(T, null, 720, "index.m3u8")).toBe(`hls/${T}/720p/index.m3u8`);
    expect(keys.bundle(T, 1)).toBe(`bundles/${T}/S01.zip`);
    expect(keys.uploadedBundle(T, 1, T)).toBe(`bundles/${T}/S01.upload-${T}.zip`);
    expect(() => keys.uploadedBundle(T, 1, "../x")).toThrow();
    expect(keys.bundleManifest(T, 12)).toBe(`bundles/${T}/S12.manifest.json`);
    expect(keys.artwork(T, "poster.jpg")).toBe(`artwork/title/${T}/poster.jpg`);
    expect(keys.subtitle(T, null, "en.vtt")).toBe(`subs/title/${T}/en.vtt`);
  });

  it("refuses ids that are not UUIDs and filenames that would escape their folder", () => {
    expect(() => keys.original("../etc", null, "x")).toThrow(/UUID/);
    expect(() => keys.bundle(T, -1)).toThrow(/season/);
    expect(safeFilename("../../passwd")).toBe(".._.._passwd");
    expect(() => safeFilename("..")).toThrow();
    expect(safeFilename("a/b\\c\u0000d")).toBe("a_b_c_d");
  });
});
