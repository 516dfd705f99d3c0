// The baseline for bench/bundle: the same source objects streamed S3 → S3 into one multipart
// upload with the job's own MultipartWriter, part size and concurrency, but no ZIP layout and no
// hashing. Run as its own process so its peak RSS is its own. Prints one JSON line.
//   tsx bench/bundle-raw-copy.ts <dest-key> <source-key>...
import { loadConfig } from "../container/src/config.ts";
import { bundlePartSize } from "../container/src/jobs/bundle.ts";
import { MultipartWriter } from "../container/src/multipart-writer.ts";
import { peakRssBytes } from "../container/src/proc-stats.ts";

const [dest, ...sources] = process.argv.slice(2);
if (!dest || sources.length === 0) throw new Error("usage: bundle-raw-copy <dest-key> <source-key>...");
const cfg = loadConfig();
const signal = new AbortController().signal;

const started = performance.now();
const sizes = await Promise.all(sources.map(async (k) => (await cfg.s3.head(k))?.size ?? 0));
const total = sizes.reduce((a, b) => a + b, 0);
const uploadId = await cfg.s3.createMultipart(dest, { contentType: "application/octet-stream" });
const out = new MultipartWriter(cfg.s3, dest, uploadId, bundlePartSize(total, cfg.minPartSize), cfg.partConcurrency, signal);
try {
  for (const key of sources) {
    const res = await cfg.s3.get(key);
    if (!res?.body) throw new Error(`missing ${key}`);
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      await out.write(value);
    }
  }
  await out.complete();
} catch (e) {
  await out.abort();
  throw e;
}
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage();
console.log(JSON.stringify({ bytes: total, seconds, peak_rss_bytes: peakRssBytes() ?? 0, cpu_seconds: (cpu.user + cpu.system) / 1e6 }));
