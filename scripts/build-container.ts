// Bundles the job service (container/src/server.ts) into one ESM file for plain `node`, as the
// container image runs it (container/Dockerfile calls this script).
//   npm run build:container [-- --outfile dist/container/server.mjs]
import { resolve } from "node:path";
import { build } from "esbuild";

const root = resolve(import.meta.dirname, "..");

/**
 * Node flags the job service runs with (container/Dockerfile's CMD repeats them). A 1 MiB
 * semi-space makes V8 collect the socket read buffers of a streaming GET soon after use instead
 * of letting tens of MiB of them pile up: measured by bench/bundle, about 10 MiB lower peak RSS.
 */
export const JOB_NODE_FLAGS = ["--max-semi-space-size=1"];

/**
 * Environment the job service runs with (container/Dockerfile's ENV repeats it). glibc gives freed
 * memory at the top of its heap back to the kernel once more than 128 KiB is free; a streaming GET
 * frees its 64 KiB socket buffers in bursts after each GC, so every burst was returned and then
 * faulted in again page by page. Keeping up to 64 MiB cut the CPU of reading a GiB from S3 several
 * times over and made it steady (bench:bundle; docs/benchmarks.md).
 */
export const JOB_NODE_ENV = { MALLOC_TRIM_THRESHOLD_: String(64 * 1024 * 1024) };

export async function buildNodeEntry(entry: string, outfile: string): Promise<string> {
  await build({
    entryPoints: [resolve(root, entry)],
    outfile: resolve(root, outfile),
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    logLevel: "warning",
    // Some dependencies still call require(); ESM output needs one made for them.
    // Aliased: a dependency's own `import { createRequire }` (fflate's Node build) must not clash with it.
    banner: {
      js: "import { createRequire as __bannerCreateRequire } from 'node:module'; const require = __bannerCreateRequire(import.meta.url);",
    },
  });
  return resolve(root, outfile);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const i = process.argv.indexOf("--outfile");
  const out = await buildNodeEntry("container/src/server.ts", i > 0 ? (process.argv[i + 1] ?? "") : "dist/container/server.mjs");
  console.log(`built ${out}`);
}
