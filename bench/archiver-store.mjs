// The baseline for bench/build-bundle: the `archiver` package writing the same files as a ZIP
// in STORE mode.   node bench/archiver-store.mjs OUT.zip FILE...
import { createReadStream, createWriteStream } from "node:fs";
import { basename } from "node:path";
import archiver from "archiver";

const [out, ...files] = process.argv.slice(2);
const zip = archiver("zip", { store: true });
const done = new Promise((resolve, reject) => {
  const sink = createWriteStream(out);
  sink.on("close", resolve);
  zip.on("error", reject);
  zip.pipe(sink);
});
for (const f of files) zip.append(createReadStream(f), { name: basename(f) });
await zip.finalize();
await done;
