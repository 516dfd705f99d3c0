// CRC-32 (IEEE 802.3, the ZIP and gzip polynomial), incremental so it runs over a stream.
// Slicing-by-8 tables: eight bytes per step.
const TABLES: Uint32Array[] = (() => {
  const t = Array.from({ length: 8 }, () => new Uint32Array(256));
  const t0 = t[0] as Uint32Array;
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t0[i] = c >>> 0;
  }
  for (let i = 0; i < 256; i++) {
    let c = t0[i] as number;
    for (let s = 1; s < 8; s++) {
      c = (t0[c & 0xff] as number) ^ (c >>> 8);
      (t[s] as Uint32Array)[i] = c >>> 0;
    }
  }
  return t;
})();

/** Feeds `bytes` into a running CRC (start with 0); returns the new CRC. */
export function crc32Update(crc: number, bytes: Uint8Array): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = TABLES as [
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
  ];
  let c = ~crc >>> 0;
  let i = 0;
  const n = bytes.length;
  for (; i + 8 <= n; i += 8) {
    const lo =
      (c ^
        ((bytes[i] as number) | ((bytes[i + 1] as number) << 8) | ((bytes[i + 2] as number) << 16) | ((bytes[i + 3] as number) << 24))) >>>
      0;
    const hi =
      ((bytes[i + 4] as number) | ((bytes[i + 5] as number) << 8) | ((bytes[i + 6] as number) << 16) | ((bytes[i + 7] as number) << 24)) >>>
      0;
    c =
      (t7[lo & 0xff] as number) ^
      (t6[(lo >>> 8) & 0xff] as number) ^
      (t5[(lo >>> 16) & 0xff] as number) ^
      (t4[lo >>> 24] as number) ^
      (t3[hi & 0xff] as number) ^
      (t2[(hi >>> 8) & 0xff] as number) ^
      (t1[(hi >>> 16) & 0xff] as number) ^
      (t0[hi >>> 24] as number);
  }
  for (; i < n; i++) c = (t0[(c ^ (bytes[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return ~c >>> 0;
}

export const crc32 = (bytes: Uint8Array) => crc32Update(0, bytes);

// CRC-32 of a concatenation from its parts' CRCs (zlib's crc32_combine): lets two threads
// checksum different ranges of one file at once. Polynomials are reflected, as in the table.
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
