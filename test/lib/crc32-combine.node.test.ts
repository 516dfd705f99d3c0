// crc32Combine: the CRC of A‖B from the parts' CRCs, as build-bundle combines 1 MiB chunks
// checksummed by two threads. Checked against zlib's CRC of the whole.
import * as zlib from "node:zlib";
import { describe, expect, it } from "vitest";
import { crc32Combine, crc32ShiftOperator } from "../../src/lib/crc32.ts";
import { pseudoBytes } from "../support/bytes.ts";

describe("crc32Combine", () => {
  it.each([
    [0, 0],
    [1, 0],
    [0, 1],
    [5, 7],
    [1000, 1024 * 1024],
    [3 * 1024 * 1024, 12345],
  ])("matches zlib for %i + %i bytes", (a, b) => {
    const bytes = pseudoBytes(a + b, a * 31 + b);
    const [left, right] = [bytes.subarray(0, a), bytes.subarray(a)];
    expect(crc32Combine(zlib.crc32(left), zlib.crc32(right), b)).toBe(zlib.crc32(bytes));
  });

  it("folds many chunks with one precomputed operator, as the CLI does", () => {
    const chunk = 64 * 1024;
    const bytes = pseudoBytes(10 * chunk + 17, 99);
    const op = crc32ShiftOperator(chunk);
    let crc = 0;
    for (let at = 0; at < bytes.length; at += chunk) {
      const part = bytes.subarray(at, at + chunk);
      crc = crc32Combine(crc, zlib.crc32(part), part.length, part.length === chunk ? op : undefined);
    }
    expect(crc).toBe(zlib.crc32(bytes));
  });
});
