// bench/cli-start: how long `moviesnow --version` takes to start and exit, the ways operators run
// it: the bin itself, `npx moviesnow` (npm resolves the package's bin first), and the floor of
// `npm exec` (npm starting up and running `node -e 0`, no CLI at all). Medians of interleaved runs.
//   npm run bench:cli-start [-- --runs 15]
import { execFileSync, spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { arg } from "./lib.ts";

const root = resolve(import.meta.dirname, "..");
const runs = Number(arg("runs", "15"));
const ways: { name: string; cmd: string; args: string[] }[] = [
  { name: "node bin/moviesnow.cjs --version", cmd: process.execPath, args: [resolve(root, "bin/moviesnow.cjs"), "--version"] },
  { name: "npx moviesnow --version", cmd: "npx", args: ["moviesnow", "--version"] },
  { name: "npm exec -- node -e 0 (npm's own floor)", cmd: "npm", args: ["exec", "--", "node", "-e", "0"] },
];

// Warm: the first run of the bin builds it.
execFileSync(process.execPath, [resolve(root, "bin/moviesnow.cjs"), "--version"], { cwd: root });
const times = new Map<string, number[]>(ways.map((w) => [w.name, []]));
for (let i = 0; i < runs; i++) {
  for (const w of ways) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(w.cmd, w.args, { cwd: root, stdio: "ignore" });
    if (r.status !== 0) throw new Error(`${w.name} exited ${r.status}`);
    times.get(w.name)?.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const base = median(times.get(ways[0]?.name ?? "") ?? []);
console.log(`| way | median ms | × the bin |\n|---|---|---|`);
for (const w of ways) {
  const m = median(times.get(w.name) ?? []);
  console.log(`| ${w.name} | ${m.toFixed(0)} | ${(m / base).toFixed(1)} |`);
}
