#!/usr/bin/env node
// `moviesnow` / `npx moviesnow`: runs the TypeScript CLI (scripts/cli.ts) under tsx's loader, in
// a child so that its worker threads get the loader too.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const r = spawnSync(
  process.execPath,
  ["--import", here("../node_modules/tsx/dist/loader.mjs"), here("../scripts/cli.ts"), ...process.argv.slice(2)],
  {
    stdio: "inherit",
  },
);
process.exit(r.status ?? 1);
