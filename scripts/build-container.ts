// Bundles the job service (container/src/server.ts) into one ESM file for plain `node`, as the
// container image runs it (container/Dockerfile calls this script).
//   npm run build:container [-- --outfile dist/container/server.mjs]
import { resolve } from "node:path";
import { build } from "esbuild";

const root = resolve(import.meta.dirname, "..");

/**
 * Node flags the job service runs with (container/Dockerfile's CMD repeats them; the local stack and
 * bench:bundle start it the same way).
 * - A 1 MiB semi-space makes V8 collect the socket read buffers of a streaming GET soon after use
 *   instead of letting tens of MiB of them pile up (bench:bundle: about 10 MiB lower peak RSS).
 * - The service's own old generation (about 8 MB) sits at V8's threshold for incremental marking,
 *   so with the default initial limit it ran a full mark-compact about ten times a second while
 *   streaming, 100+ per GiB against the raw copy's 8 (bench:bundle with --trace-gc). A 64 MiB
 *   initial limit brought that to one per GiB and took about a third off the job's CPU per GiB;
 *   32 MiB, one per 4 GiB. It is a limit, not an allocation, but the old generation does fill up to it with
 *   promoted garbage between collections: 64 MiB let the heap reach 23–29 MB and the peak RSS grow
 *   with the season (110 MiB at 1 GiB, 121 at 4), 32 to about 21 MB. The job's paced full
 *   collections (gc-pacer.ts) now keep it near 12 MB; this limit is what holds without them.
 * - --expose-gc lets the job pace minor collections by the bytes it reads (container/src/gc-pacer.ts).
 */
export const JOB_NODE_FLAGS = ["--max-semi-space-size=1", "--initial-old-space-size=32", "--expose-gc"];

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
