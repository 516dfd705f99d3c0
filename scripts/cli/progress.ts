// A one-line progress bar with rate and ETA on stderr, only when stderr is a terminal (and not
// under --json): scripts and CI logs get no control characters.
export interface Progress {
  update(done: number): void;
  done(): void;
}

const MiB = 1024 * 1024;
const fmtBytes = (n: number) => (n >= 1024 * MiB ? `${(n / 1024 / MiB).toFixed(2)} GiB` : `${(n / MiB).toFixed(1)} MiB`);
const fmtTime = (s: number) => (Number.isFinite(s) ? `${Math.floor(s / 60)}:${String(Math.round(s % 60)).padStart(2, "0")}` : "--:--");

export function progressBar(
  label: string,
  total: number,
  enabled = Boolean(process.stderr.isTTY),
  unit: "bytes" | "seconds" = "bytes",
): Progress {
  if (!enabled) return { update() {}, done() {} };
  const started = performance.now();
  let last = 0;
  const draw = (done: number) => {
    const secs = (performance.now() - started) / 1000;
    const rate = done / Math.max(secs, 1e-3);
    const frac = total > 0 ? Math.min(done / total, 1) : 1;
    const width = 24;
    const bar = "█".repeat(Math.round(frac * width)).padEnd(width, "░");
    const eta = rate > 0 ? (total - done) / rate : Number.POSITIVE_INFINITY;
    // Bytes show size and throughput; seconds (of media encoded) show position and speed (2.5x = 2.5 s of media a second).
    const amount =
      unit === "bytes"
        ? `${fmtBytes(done)}/${fmtBytes(total)} ${(rate / MiB).toFixed(0)} MiB/s`
        : `${fmtTime(done)}/${fmtTime(total)} ${rate.toFixed(1)}x`;
    process.stderr.write(`\r${label} ${bar} ${(frac * 100).toFixed(0).padStart(3)}% ${amount} ETA ${fmtTime(eta)}  `);
  };
  return {
    update(done) {
      const now = performance.now();
      if (now - last < 100 && done < total) return;
      last = now;
      draw(done);
    },
    done() {
      draw(total);
      process.stderr.write("\n");
    },
  };
}
