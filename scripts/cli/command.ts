// What every `moviesnow` command shares: its shape, the usage error (exit 2) and the argument
// parser with the flags all of them take. Commands import this, never main.ts (no cycle).
import { type ParseArgsConfig, parseArgs } from "node:util";

export interface Command {
  usage: string;
  run(args: string[]): Promise<number>;
}

/** A mistake in how the command was called: main prints the usage line and exits 2. */
export class UsageError extends Error {
  // node:util's parseArgs marks its own usage errors with this code; ours match them.
  readonly code = "ERR_PARSE_ARGS_USAGE";
}

type Options = NonNullable<ParseArgsConfig["options"]>;
const common = { api: { type: "string" }, json: { type: "boolean" } } as const satisfies Options;

/**
 * Parses a command's arguments with `--api URL` (else MOVIESNOW_API or the saved session) and
 * `--json` (machine-readable output) added to its own options.
 */
export function commandArgs<O extends Options>(args: string[], options: O, allowPositionals = false) {
  return parseArgs({ args, allowPositionals, options: { ...common, ...options } as typeof common & O, strict: true });
}
