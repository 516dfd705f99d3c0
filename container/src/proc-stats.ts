// What Linux says of a process's memory, for the job's /metrics and the benchmarks.
import { readFileSync } from "node:fs";

/** Peak resident set size (VmHWM) of a process, in bytes; null where /proc has no answer. */
export function peakRssBytes(pid: number | "self" = "self"): number | null {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return kb ? Number(kb) * 1024 : null;
  } catch {
    return null;
  }
}
