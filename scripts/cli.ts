// The operator CLI's entry: `npm run cli -- <command>`, or `moviesnow` (bin/moviesnow.cjs).
import { main } from "./cli/main.ts";

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    console.error(`moviesnow: ${(e as Error).message}`);
    process.exitCode = 1;
  },
);
