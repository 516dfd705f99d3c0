// CRC-32 (IEEE 802.3, the ZIP and gzip polynomial), incremental so it runs over a stream.
// The bytes go through zlib's native crc32: Node's (≥ 20.15) in the job and the CLI, workerd's
// under nodejs_compat in the Worker. zlib does not expose crc32_combine, so that stays here.
import { crc32 as zlibCrc32 } from "node:zlib";

/** Feeds `bytes` into a running CRC (start with 0); returns the new CRC. */
export const crc32Update = (crc: number, bytes: Uint8Array): number => zlibCrc32(bytes, crc) >>> 0;

export const crc32 = (bytes: Uint8Array) => crc32Update(0, bytes);

// CRC-32 of a concatenation from its parts' CRCs (zlib's crc32_combine): lets two threads
// checksum different ranges of one file at once. Polynomials are reflected, as zlib keeps them.
const POLY = 0xedb88320;

/** a × b modulo the CRC polynomial, both reflected. */
function multModP(a: number, b: number): number {
  let p = 0;
  let bb = b >>> 0;
  for (let m = 0x80000000; m !== 0; m >>>= 1) {
    if (a & m) p ^= bb;
    bb = bb & 1 ? (bb >>> 1) ^ POLY : bb >>> 1;
  }
  return p >>> 0;
}

// X2N[k] = x^(2^k) modulo the polynomial.
const X2N: number[] = (() => {
  const t = [0x40000000]; // x^1
  for (let k = 1; k < 32; k++) t.push(multModP(t[k - 1] as number, t[k - 1] as number));
  return t;
})();

/** x^(8 × bytes) modulo the polynomial: the operator that shifts a CRC past `bytes` zero bytes. */
export function crc32ShiftOperator(bytes: number): number {
  let p = 0x80000000; // x^0
  let n = bytes;
  for (let k = 3; n > 0; k++, n = Math.floor(n / 2)) if (n % 2) p = multModP(X2N[k % 32] as number, p);
  return p;
}

/** CRC-32 of A‖B from crc(A), crc(B) and B's length (or its precomputed shift operator). */
export function crc32Combine(crcA: number, crcB: number, bytesB: number, op = crc32ShiftOperator(bytesB)): number {
  return (multModP(op, crcA) ^ crcB) >>> 0;
}
