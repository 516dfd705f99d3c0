// The job's minor collections, paced by the bytes its S3 reads bring in.
import { describe, expect, it } from "vitest";
import { createGcPacer } from "../../container/src/gc-pacer.ts";

const KiB = 1024;
const MiB = 1024 * KiB;

describe("gc pacer", () => {
  it("runs one minor collection each time another interval's worth of bytes has been read", () => {
    const calls: unknown[] = [];
    const pacer = createGcPacer(2 * MiB, (o) => calls.push(o));
    for (let i = 0; i < 80; i++) pacer.read(64 * KiB); // 5 MiB in socket-sized chunks
    expect(calls).toEqual([{ type: "minor" }, { type: "minor" }]);
    expect(pacer.collections).toBe(2);
    expect(pacer.active).toBe(true);
  });

  it("does nothing without an exposed gc or with a zero interval", () => {
    let calls = 0;
    for (const pacer of [createGcPacer(2 * MiB, undefined), createGcPacer(0, () => calls++)]) {
      pacer.read(64 * MiB);
      expect(pacer.active).toBe(false);
      expect(pacer.collections).toBe(0);
    }
    expect(calls).toBe(0);
  });

  it("uses the gc node exposes under --expose-gc when none is given", () => {
    const exposed = typeof (globalThis as { gc?: unknown }).gc === "function";
    expect(createGcPacer(MiB).active).toBe(exposed);
  });
});
