// CRC-32 in the Worker runs on workerd's native zlib (node:zlib under nodejs_compat): checked
// here, inside workerd, against published check values and a bitwise reference, whole and fed
// in pieces, and with crc32Combine joining the pieces' CRCs.
import { describe, expect, it } from "vitest";
import { crc32, crc32Combine, crc32Update } from "../../src/lib/crc32";

const utf8 = (s: string) => new TextEncoder().encode(s);

/** The definition, one bit at a time (reflected polynomial 0xEDB88320). */
function reference(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return ~c >>> 0;
}

function bytesOf(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

describe("crc32 (native zlib in workerd)", () => {
  it.each([
    ["", 0],
    ["a", 0xe8b7be43],
    ["abc", 0x352441c2],
    ["123456789", 0xcbf43926],
    ["The quick brown fox jumps over the lazy dog", 0x414fa339],
  ])("gives the published check value of %j", (text, value) => {
    expect(crc32(utf8(text))).toBe(value);
  });

  it("agrees with the bitwise definition on every length up to 300 and on 1 MiB", () => {
    for (let n = 0; n <= 300; n++) {
      const b = bytesOf(n, n + 1);
      expect(crc32(b)).toBe(reference(b));
    }
    const big = bytesOf(1024 * 1024, 7);
    expect(crc32(big)).toBe(reference(big));
  });

  it("is the same fed in pieces of any size, and crc32Combine joins the pieces' CRCs", () => {
    const b = bytesOf(100_003, 42);
    const whole = crc32(b);
    for (const piece of [1, 7, 4096, 65_536]) {
      let running = 0;
      let combined = 0;
      for (let at = 0; at < b.length; at += piece) {
        const part = b.subarray(at, at + piece);
        running = crc32Update(running, part);
        combined = crc32Combine(combined, crc32(part), part.length);
      }
      expect(running).toBe(whole);
      expect(combined).toBe(whole);
    }
  });
});
