// Installs the Debian packages the stack runs on. As root it runs apt-get; otherwise it stops
// with the exact command an operator should run.
import { existsSync } from "node:fs";
import { run } from "./proc.ts";

const needs: { pkg: string; probe: string }[] = [
  { pkg: "postgresql", probe: "/usr/lib/postgresql" },
  { pkg: "redis-server", probe: "/usr/bin/redis-server" },
  { pkg: "memcached", probe: "/usr/bin/memcached" },
  { pkg: "swift-proxy", probe: "/usr/bin/swift-proxy-server" },
  { pkg: "swift-account", probe: "/usr/bin/swift-account-server" },
  { pkg: "swift-container", probe: "/usr/bin/swift-container-server" },
  { pkg: "swift-object", probe: "/usr/bin/swift-object-server" },
  // For the tests' archive checks: the extractors people use (unzip, Python's zipfile, 7-Zip, bsdtar).
  { pkg: "unzip", probe: "/usr/bin/unzip" },
  { pkg: "python3", probe: "/usr/bin/python3" },
  { pkg: "7zip", probe: "/usr/bin/7zz" },
  { pkg: "libarchive-tools", probe: "/usr/bin/bsdtar" },
  // For `moviesnow package` and the streaming tests' players: ffmpeg/ffprobe, and Chromium for hls.js.
  { pkg: "ffmpeg", probe: "/usr/bin/ffprobe" },
  { pkg: "chromium", probe: "/usr/bin/chromium" },
];

export function ensurePackages(): void {
  const missing = needs.filter((n) => !existsSync(n.probe)).map((n) => n.pkg);
  if (missing.length === 0) return;
  const cmd = `apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing.join(" ")}`;
  if (process.getuid?.() !== 0) {
    throw new Error(`the local stack needs Debian packages that are not installed. Run as root:\n  ${cmd}`);
  }
  console.log(`[stack] installing ${missing.join(", ")} (apt-get)…`);
  run("sh", ["-c", cmd], { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
}
