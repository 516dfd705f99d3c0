// The job's collections, paced by the bytes its S3 reads bring in.
import { describe, expect, it } from "vitest";
import { createGcPacer, FULL_EVERY } from "../../container/src/gc-pacer.ts";

const KiB = 1024;
const MiB = 1024 * KiB;

describe("gc pacer", () => {
  it("runs one minor collection each time another interval's worth of bytes has been read", () => {
    const calls: unknown[] = [];
    const pacer = createGcPacer(2 * MiB, (o) => calls.push(o));
    for (let i = 0; i < 80; i++) pacer.read(64 * KiB); // 5 MiB in socket-sized chunks
    expect(calls).toEqual([{ type: "minor" }, { type: "minor" }]);
    expect(pacer.collections).toEqual({ minor: 2, full: 0 });
    expect(pacer.active).toBe(true);
  });

  it("makes every FULL_EVERY-th collection a full one, so promoted garbage cannot pile up in the old generation", () => {
    const calls: unknown[] = [];
    const pacer = createGcPacer(MiB, (o) => calls.push(o ?? "full"));
    for (let i = 0; i < 2 * FULL_EVERY; i++) pacer.read(MiB);
    expect(calls.filter((c) => c === "full")).toHaveLength(2);
    expect(calls[FULL_EVERY - 1]).toBe("full");
    expect(calls[2 * FULL_EVERY - 1]).toBe("full");
    expect(pacer.collections).toEqual({ minor: 2 * FULL_EVERY - 2, full: 2 });
  });

  it("does nothing without an exposed gc or with a zero interval", () => {
    let calls = 0;
    for (const pacer of [createGcPacer(2 * MiB, undefined), createGcPacer(0, () => calls++)]) {
      pacer.read(64 * MiB);
      expect(pacer.active).toBe(false);
      expect(pacer.collections).toEqual({ minor: 0, full: 0 });
    }
    expect(calls).toBe(0);
  });

  it("uses the gc node exposes under --expose-gc when none is given", () => {
    const exposed = typeof (globalThis as { gc?: unknown }).gc === "function";
    expect(createGcPacer(MiB).active).toBe(exposed);
  });
});
