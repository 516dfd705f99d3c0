#!/usr/bin/env node
// `moviesnow` / `npx moviesnow`: the operator CLI (scripts/cli.ts), run as a bundle built from
// this checkout's sources. The entry with build-bundle is one CommonJS file, the lightest start
// Node has (no ESM loader, no thread pool: about 1 MiB of peak RSS); every other command is an
// ESM chunk loaded on use. The bundle is keyed by the sources' paths, sizes and times, so an edit
// rebuilds it (esbuild, well under a second) on the next run. Concurrent first runs each build
// into their own directory and the first rename wins.
"use strict";
const { createHash } = require("node:crypto");
const { existsSync, readdirSync, renameSync, rmSync, statSync } = require("node:fs");
const { join, resolve } = require("node:path");

const root = resolve(__dirname, "..");
const SOURCES = [
  "bin/moviesnow.cjs",
  "scripts/cli.ts",
  "scripts/cli",
  "scripts/client",
  "scripts/dev-vars.ts",
  "src",
  "container/src",
  "package.json",
  "package-lock.json",
];
// The commands scripts/cli/main.ts imports on use.
const LAZY = ["upload", "package", "backfill", "admin", "remote-admin", "smoke"];
const builds = join(root, ".local/cli");

function fingerprint() {
  const h = createHash("sha256");
  const visit = (rel) => {
    const st = statSync(join(root, rel), { throwIfNoEntry: false });
    if (!st) return;
    if (st.isDirectory()) for (const name of readdirSync(join(root, rel)).sort()) visit(`${rel}/${name}`);
    else h.update(`${rel}\0${st.size}\0${st.mtimeMs}\n`);
  };
  for (const rel of SOURCES) visit(rel);
  return h.digest("hex").slice(0, 16);
}

async function build(dir) {
  const esbuild = require("esbuild");
  const tmp = `${dir}.tmp-${process.pid}`;
  const common = { bundle: true, platform: "node", target: "node20", logLevel: "warning" };
  await esbuild.build({
    ...common,
    entryPoints: [join(root, "scripts/cli.ts")],
    outfile: join(tmp, "moviesnow.cjs"),
    format: "cjs",
    plugins: [
      {
        name: "commands-on-use",
        setup(b) {
          b.onResolve({ filter: /^\.\/[a-z-]+\.ts$/ }, (a) =>
            a.kind === "dynamic-import" && LAZY.includes(a.path.slice(2, -3))
              ? { path: a.path.replace(/\.ts$/, ".mjs"), external: true }
              : undefined,
          );
        },
      },
    ],
  });
  await esbuild.build({
    ...common,
    entryPoints: LAZY.map((n) => join(root, `scripts/cli/${n}.ts`)),
    outdir: tmp,
    format: "esm",
    splitting: true,
    outExtension: { ".js": ".mjs" },
    chunkNames: "chunks/[name]-[hash]",
    // The chunks live under .local/cli/; paths the sources take from their own folder stay theirs.
    define: { "import.meta.dirname": JSON.stringify(join(root, "scripts/cli")) },
    // Some dependencies still call require(); ESM output needs one made for them.
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
  });
  try {
    renameSync(tmp, dir);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(join(dir, "moviesnow.cjs"))) throw e;
  }
  // Older builds go once nothing started from them can still be loading a command (an hour on).
  for (const name of readdirSync(builds)) {
    const path = join(builds, name);
    if (path !== dir && Date.now() - statSync(path).mtimeMs > 3_600_000) rmSync(path, { recursive: true, force: true });
  }
}

const dir = join(builds, fingerprint());
const entry = join(dir, "moviesnow.cjs");
if (existsSync(entry)) require(entry);
else
  build(dir).then(
    () => require(entry),
    (e) => {
      console.error(`moviesnow: could not build the CLI from ${root}: ${e.message}`);
      process.exitCode = 1;
    },
  );
