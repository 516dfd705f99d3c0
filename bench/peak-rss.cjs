// Preloaded (node --require) into a benchmarked process: prints its peak RSS (VmHWM, the whole
// process with its threads) to stderr as it exits.
const { readFileSync } = require("node:fs");
process.on("exit", () => {
  const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"))?.[1];
  process.stderr.write(`\npeak_rss_bytes=${Number(kb) * 1024}\n`);
});
