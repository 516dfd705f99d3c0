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
moviesnow build-bundle --out S01.zip --title NAME [--year YYYY] [--season N] [--plot TEXT]
                       [--genre G]... [--poster FILE] [--season-poster FILE] VIDEO... [SUBTITLE...]

  Writes the archive and its manifest beside it (S01.manifest.json): each member's name, size,
  CRC-32 and SHA-256, and the archive's size and SHA-256. Prints the archive's SHA-256. The
  archive appears under its name only once complete.

  Without --title: the files as they are (STORE), in the order given, named by their file names,
  timed by their modification times.

  With --title: the season as a media library wants it, the layout the API's season ZIPs have:
  "{Title} ({Year})/Season 01/{Title} - S01E02 - {Name}.mkv" with sidecar subtitles
  (".en.default.srt", ".fr.forced.vtt"), posters, Kodi NFO files and MANIFEST.json. Episode
  numbers and names come from the video files' names ("S01E02 - Name.mkv", "1x02 Name.mkv",
  "E02.mkv"; else their order); a subtitle (.srt, .vtt) belongs to the video whose name it starts
  with, its language and flags after it ("S01E02 - Name.en.forced.srt").

  Examples:
    moviesnow build-bundle --out S01.zip S01E01.mkv S01E02.mkv S01E03.mkv
    moviesnow build-bundle --out season.zip --json ~/rips/show/s01/*.mkv > season.json
    moviesnow build-bundle --out S01.zip --title "The Keepers" --year 2024 --poster poster.jpg S01E0*.mkv S01E0*.srt`,
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        out: { type: "string" },
        manifest: { type: "string" },
        json: { type: "boolean" },
        title: { type: "string" },
        year: { type: "string" },
        season: { type: "string" },
        plot: { type: "string" },
        genre: { type: "string", multiple: true },
        poster: { type: "string" },
        "season-poster": { type: "string" },
      },
    });
    if (!values.out) throw new UsageError("build-bundle needs --out FILE.zip");
    if (positionals.length === 0) throw new UsageError("build-bundle needs at least one input file");
    const number = (v: string | undefined, what: string, min: number, max: number): number | null => {
      if (v === undefined) return null;
      if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max)
        throw new UsageError(`${what} must be a whole number from ${min} to ${max}`);
      return Number(v);
    };
    const year = number(values.year, "--year", 1870, 2100);
    const season = number(values.season, "--season", 0, 9999);
    const libraryOnly = [values.year, values.season, values.plot, values.genre, values.poster, values["season-poster"]];
    if (!values.title && libraryOnly.some((v) => v !== undefined))
      throw new UsageError("--year, --season, --plot, --genre and the posters go with --title");
    const layout = values.title
      ? (await import("./library-bundle.ts")).libraryBuild(positionals, {
          title: values.title,
          year,
          season: season ?? 1,
          plot: values.plot ?? null,
          genres: values.genre ?? [],
          poster: values.poster ?? null,
          seasonPoster: values["season-poster"] ?? null,
        })
      : { files: positionals };
    let bar: ReturnType<typeof progressBar> | null = null;
    const built = await buildBundle({
      out: values.out,
      ...layout,
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
