// Shared by the benchmarks: flags, and deterministic incompressible-looking bytes.

/** `--name value` from the command line, else the default. */
export function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? (process.argv[i + 1] ?? dflt) : dflt;
}

/** A block of xorshift32 output: the same for the same seed, and not compressible. */
export function pseudoRandomBlock(size: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  let x = seed;
  for (let i = 0; i + 4 <= size; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b.writeUInt32LE(x >>> 0, i);
  }
  return b;
}
