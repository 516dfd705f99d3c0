// The operator CLI, `moviesnow` (package.json bin; `npm run cli -- …` in this repository).
// Every subcommand has --help; --json prints machine-readable output; exit codes: 0 done,
// 1 failed, 2 usage error.
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { adminCommand } from "./admin.ts";
import { backfillCommand } from "./backfill.ts";
import { buildBundle, bundleManifest } from "./build-bundle.ts";
import { progressBar } from "./progress.ts";
import { loginCommand, whoamiCommand } from "./remote-admin.ts";
import { uploadCommand } from "./upload.ts";

export class UsageError extends Error {}

export interface Command {
  summary: string;
  usage: string;
  run(args: string[]): Promise<number>;
}

const buildBundleCommand: Command = {
  summary: "build a season ZIP from local files (ZIP64, deterministic, the container's layout)",
  usage: `moviesnow build-bundle --out S01.zip [--manifest FILE] [--json] FILE...

  Writes the archive (STORE; members in the order given, named by their file names, timed by
  their modification times), and its manifest beside it (S01.manifest.json): each member's
  name, size, CRC-32 and SHA-256, and the archive's size and SHA-256. Prints the archive's
  SHA-256. The archive appears under its name only once complete.`,
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { out: { type: "string" }, manifest: { type: "string" }, json: { type: "boolean" } },
    });
    if (!values.out) throw new UsageError("build-bundle needs --out FILE.zip");
    if (positionals.length === 0) throw new UsageError("build-bundle needs at least one input file");
    let bar: ReturnType<typeof progressBar> | null = null;
    const built = await buildBundle({
      out: values.out,
      files: positionals,
      onProgress: (done, total) => {
        bar ??= progressBar("build-bundle", total, Boolean(process.stderr.isTTY) && !values.json);
        bar.update(done);
      },
    });
    (bar as ReturnType<typeof progressBar> | null)?.done();
    const manifest = bundleManifest(built);
    const manifestPath = values.manifest ?? values.out.replace(/(\.zip)?$/i, ".manifest.json");
    writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
    if (values.json) console.log(JSON.stringify({ path: built.path, manifest_path: manifestPath, ...manifest }));
    else {
      console.log(`${built.sha256}  ${built.path}`);
      console.log(`${built.items.length} members, ${built.size} bytes${built.zip64 ? " (ZIP64)" : ""}; manifest: ${manifestPath}`);
    }
    return 0;
  },
};

export const commands: Record<string, Command> = {
  "build-bundle": buildBundleCommand,
  upload: uploadCommand,
  backfill: backfillCommand,
  admin: adminCommand,
  login: loginCommand,
  whoami: whoamiCommand,
};

function help(): string {
  const width = Math.max(...Object.keys(commands).map((k) => k.length));
  return `usage: moviesnow <command> [options]   (moviesnow <command> --help for more)\n\n${Object.entries(commands)
    .map(([k, c]) => `  ${k.padEnd(width)}  ${c.summary}`)
    .join("\n")}`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    console.log(help());
    return name ? 0 : 2;
  }
  const cmd = commands[name];
  if (!cmd) {
    console.error(`moviesnow: unknown command ${JSON.stringify(name)}\n${help()}`);
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(cmd.usage);
    return 0;
  }
  try {
    return await cmd.run(rest);
  } catch (e) {
    const usage = e instanceof UsageError || (e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS");
    console.error(`moviesnow ${name}: ${(e as Error).message}`);
    if (usage) console.error(`usage: ${cmd.usage.split("\n")[0]}`);
    return usage ? 2 : 1;
  }
}
