// A stand-in for an outside command-line tool (terraform, wrangler, docker) that no account or
// engine here can run: an executable that appends "<name> <args>" to a log (with what it read on
// stdin for `secret put`; what `build` is sent on stdin is read and dropped) and prints a canned
// reply when its arguments contain a given text.
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export function commandRecorder(dir: string, name: string, log: string, replies: [RegExp, string][] = []): string {
  const path = join(dir, name);
  const cases = replies.map(([re, out]) => `  *"${re.source}"*) cat <<'EOF'\n${out}\nEOF\n  ;;`).join("\n");
  writeFileSync(
    path,
    `#!/bin/sh
args="$*"
if [ ! -t 0 ] && [ "$1" = "secret" ] && [ "$2" = "put" ]; then input=$(cat); echo "${name} $args <<< $input" >> '${log}'; else echo "${name} $args" >> '${log}'; fi
# docker build reads its Dockerfile on stdin: read it all, or the writer gets EPIPE when this exits first.
if [ ! -t 0 ] && [ "$1" = "build" ]; then cat > /dev/null; fi
case "$args" in
${cases}
esac
exit 0
`,
  );
  chmodSync(path, 0o755);
  return path;
}
