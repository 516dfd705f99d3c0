// Paces V8's collections by the bytes the job's S3 reads bring in. Each socket read is a fresh
// 64 KiB buffer outside the JS heap; V8 frees it only when a scavenge finds its small wrapper
// dead, and scavenges follow JS allocation (a few KiB per read), not those buffers. So tens of MiB
// of read buffers were dead but unfreed at any time. One minor collection per 2 MiB read keeps that
// to a few MiB: in bench:bundle's raw copy, peak RSS 122 → 104 MiB, and less CPU (fresh pages
// faulted in cost more than the collections). Each of those collections promotes what is live at
// that moment (a read in flight), so the old generation then grew by a few MB per GiB until V8's
// own limit, and the peak with the season (112 MiB at 1 GiB, 121 at 8); a full collection every
// FULL_EVERY minor ones (about 13 ms each, on a 12 MB heap) keeps it at its live size. Node exposes gc() only under
// --expose-gc (one of the job's node flags); without it the pacer does nothing.

/** Minor collections between two full ones: 256 MiB read at the default 2 MiB. */
export const FULL_EVERY = 128;

export interface GcPacer {
  /** Counts bytes read; runs a collection each time another `everyBytes` have passed. */
  read(bytes: number): void;
  /** Collections run so far, minor and full (the job service's /metrics). */
  readonly collections: { minor: number; full: number };
  /** Whether it runs collections at all (gc exposed and a positive interval). */
  readonly active: boolean;
}

/** Node's gc() under --expose-gc: a full collection without options. */
type ExposedGc = (options?: { type: "minor" }) => void;

/** `gc` defaults to the global one Node defines under --expose-gc. */
export function createGcPacer(everyBytes: number, gc: ExposedGc | undefined = exposedGc()): GcPacer {
  const active = gc !== undefined && everyBytes > 0;
  let pending = 0;
  const collections = { minor: 0, full: 0 };
  return {
    read(bytes) {
      if (!active) return;
      pending += bytes;
      if (pending < everyBytes) return;
      pending = 0;
      if ((collections.minor + collections.full + 1) % FULL_EVERY === 0) {
        collections.full += 1;
        gc();
      } else {
        collections.minor += 1;
        gc({ type: "minor" });
      }
    },
    collections,
    active,
  };
}

function exposedGc(): ExposedGc | undefined {
  const g = (globalThis as { gc?: unknown }).gc;
  return typeof g === "function" ? (g as ExposedGc) : undefined;
}
