// The operator CLI, `moviesnow` (package.json bin; `npm run cli -- …` in this repository).
// Every subcommand has --help; --json prints machine-readable output; exit codes: 0 done,
// 1 failed, 2 usage error, 130/143 interrupted (build-bundle removes its partial archive).
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
// Inlined by the bundler: the version costs no file read at startup.
import pkg from "../../package.json" with { type: "json" };
import { buildBundle, bundleManifest } from "./build-bundle.ts";
import { type Command, UsageError } from "./command.ts";
import { progressBar } from "./progress.ts";

const buildBundleCommand: Command = {
  usage: `moviesnow build-bundle --out S01.zip [--manifest FILE] [--json] FILE...

  Writes the archive (STORE; members in the order given, named by their file names, timed by
  their modification times), and its manifest beside it (S01.manifest.json): each member's
  name, size, CRC-32 and SHA-256, and the archive's size and SHA-256. Prints the archive's
  SHA-256. The archive appears under its name only once complete.

  Examples:
    moviesnow build-bundle --out S01.zip S01E01.mkv S01E02.mkv S01E03.mkv
    moviesnow build-bundle --out season.zip --json ~/rips/show/s01/*.mkv > season.json`,
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

/**
 * A command loaded on use, from its module's named export: a command (or --help) does not pay for
 * the database driver or the API client it never calls.
 */
const onUse = <K extends string, M extends Record<K, Command>>(summary: string, load: () => Promise<M>, name: K) => ({
  summary,
  load: async (): Promise<Command> => (await load())[name],
});

export const commands: Record<string, { summary: string; load: () => Promise<Command> }> = {
  "build-bundle": { summary: "build a season ZIP from local files (the job's layout)", load: async () => buildBundleCommand },
  upload: onUse("upload an asset (single PUT or resumable multipart) or a season ZIP", () => import("./upload.ts"), "uploadCommand"),
  package: onUse("video → the three HLS tiers (+ MP4, WebVTT), uploaded and final", () => import("./package.ts"), "packageCommand"),
  backfill: onUse("HEAD + checksum many assets; what changed and what failed", () => import("./backfill.ts"), "backfillCommand"),
  admin: onUse("enrol and list admins (password + TOTP), straight in the database", () => import("./admin.ts"), "adminCommand"),
  login: onUse("sign in with password + TOTP; the session is kept for later commands", () => import("./remote-admin.ts"), "loginCommand"),
  whoami: onUse("who the current credentials (saved session or admin key) are", () => import("./remote-admin.ts"), "whoamiCommand"),
  smoke: onUse("check a deployed API end to end, changing nothing (exit 1 on a failure)", () => import("./smoke.ts"), "smokeCommand"),
  logout: onUse("end the saved session (revoked on the API, then forgotten)", () => import("./remote-admin.ts"), "logoutCommand"),
};

export const VERSION: string = pkg.version;

function help(): string {
  const width = Math.max(...Object.keys(commands).map((k) => k.length));
  return `usage: moviesnow <command> [options]   (moviesnow <command> --help for more; moviesnow --version)\n\n${Object.entries(commands)
    .map(([k, c]) => `  ${k.padEnd(width)}  ${c.summary}`)
    .join("\n")}`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === "--version" || name === "-V" || name === "version") {
    console.log(`moviesnow ${VERSION}`);
    return 0;
  }
  if (!name || name === "--help" || name === "-h" || name === "help") {
    console.log(help());
    return name ? 0 : 2;
  }
  const entry = commands[name];
  if (!entry) {
    console.error(`moviesnow: unknown command ${JSON.stringify(name)}\n${help()}`);
    return 2;
  }
  const cmd = await entry.load();
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(cmd.usage);
    return 0;
  }
  try {
    return await cmd.run(rest);
  } catch (e) {
    // Ours are UsageErrors; node:util's parseArgs throws its own with an ERR_PARSE_ARGS_* code.
    const usage = e instanceof UsageError || (e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS");
    console.error(`moviesnow ${name}: ${(e as Error).message}`);
    if (usage) console.error(`usage: ${cmd.usage.split("\n")[0]}`);
    // An interrupted command exits as the signal's default would have (130 for Ctrl-C).
    return usage ? 2 : ((e as { exitCode?: number }).exitCode ?? 1);
  }
}
