// Paces V8's minor collections by the bytes the job's S3 reads bring in. Each socket read is a
// fresh 64 KiB buffer outside the JS heap; V8 frees it only when a scavenge finds its small
// wrapper dead, and scavenges follow JS allocation (a few KiB per read), not those buffers. So
// tens of MiB of read buffers were dead but unfreed at any time. One minor collection per 2 MiB
// read keeps that to a few MiB: in bench:bundle's raw copy, peak RSS 122 → 104 MiB, and less CPU
// (fresh pages faulted in cost more than the collections). Node exposes gc() only under
// --expose-gc (one of the job's node flags); without it the pacer does nothing.

export interface GcPacer {
  /** Counts bytes read; runs a minor collection each time another `everyBytes` have passed. */
  read(bytes: number): void;
  /** Minor collections run so far (the job service's /metrics). */
  readonly collections: number;
  /** Whether it runs collections at all (gc exposed and a positive interval). */
  readonly active: boolean;
}

type MinorGc = (options: { type: "minor" }) => void;

/** `gc` defaults to the global one Node defines under --expose-gc. */
export function createGcPacer(everyBytes: number, gc: MinorGc | undefined = exposedGc()): GcPacer {
  const active = gc !== undefined && everyBytes > 0;
  let pending = 0;
  let collections = 0;
  return {
    read(bytes) {
      if (!active) return;
      pending += bytes;
      if (pending < everyBytes) return;
      pending = 0;
      collections += 1;
      gc({ type: "minor" });
    },
    get collections() {
      return collections;
    },
    active,
  };
}

function exposedGc(): MinorGc | undefined {
  const g = (globalThis as { gc?: unknown }).gc;
  return typeof g === "function" ? (g as MinorGc) : undefined;
}
