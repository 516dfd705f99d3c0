// Checks a ZIP with real tools, for tests: Info-ZIP's `unzip -t`, Python's zipfile (testzip),
// 7-Zip's `7zz t` and libarchive's `bsdtar -tf`, and lists each member's name, size and SHA-256 as Python reads it. Worker tests reach it
// through the control server (workerd cannot spawn processes); Node tests call it directly.
import { spawnSync } from "node:child_process";
import type { ArchiveCheck } from "./archive-report.ts";

const PY = `
import hashlib, json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
bad = z.testzip()
if bad is not None:
    print("bad member: " + bad, file=sys.stderr)
    sys.exit(1)
out = []
for i in z.infolist():
    h = hashlib.sha256()
    with z.open(i) as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    out.append({"name": i.filename, "size": i.file_size, "sha256": h.hexdigest()})
print(json.dumps(out))
`;

export function checkArchiveFile(file: string): ArchiveCheck {
  const unzip = spawnSync("unzip", ["-tq", file], { encoding: "utf8" });
  const py = spawnSync("python3", ["-c", PY, file], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  const sevenZip = spawnSync("7zz", ["t", file], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  const bsdtar = spawnSync("bsdtar", ["-tf", file], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  return {
    unzip: { ok: unzip.status === 0, output: `${unzip.stdout}${unzip.stderr}`.trim() },
    sevenZip: { ok: sevenZip.status === 0, output: `${sevenZip.stdout}${sevenZip.stderr}`.trim() },
    bsdtar: { ok: bsdtar.status === 0, output: `${bsdtar.stdout}${bsdtar.stderr}`.trim() },
    python: { ok: py.status === 0, output: py.stderr.trim() },
    members: py.status === 0 ? (JSON.parse(py.stdout) as ArchiveCheck["members"]) : [],
  };
}
