// A stand-in for an outside command-line tool (terraform, wrangler, docker) that no account or
// engine here can run: an executable that appends "<name> <args>" to a log (and "<name> <args> ::
// <the names of its environment variables>" to the log's `.env` file) (with what it read on
// stdin for `secret put`, and the contents of a `--secrets-file`; what `build` is sent on stdin is
// read and dropped) and answers as the real tool does when its arguments contain a given text:
// output on stdout, or, to fail as the real tool fails, text on stderr and a non-zero exit.
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface RecordedReply {
  stdout?: string;
  stderr?: string;
  exit?: number;
}

const quoted = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

export function commandRecorder(dir: string, name: string, log: string, replies: [RegExp, string | RecordedReply][] = []): string {
  const path = join(dir, name);
  const cases = replies
    .map(([re, reply]) => {
      const r: RecordedReply = typeof reply === "string" ? { stdout: reply } : reply;
      const lines = [
        ...(r.stdout !== undefined ? [`printf '%s\\n' ${quoted(r.stdout)}`] : []),
        ...(r.stderr !== undefined ? [`printf '%s\\n' ${quoted(r.stderr)} >&2`] : []),
        `exit ${r.exit ?? 0}`,
      ];
      return `  *"${re.source}"*)\n    ${lines.join("\n    ")}\n  ;;`;
    })
    .join("\n");
  writeFileSync(
    path,
    `#!/bin/sh
args="$*"
printf '%s %s :: %s\n' "${name}" "$args" "$(env | cut -d= -f1 | sort | tr '\n' ' ')" >> '${log}.env'
if [ ! -t 0 ] && [ "$1" = "secret" ] && [ "$2" = "put" ]; then input=$(cat); echo "${name} $args <<< $input" >> '${log}'; else echo "${name} $args" >> '${log}'; fi
# The file a deploy hands over (secrets and code as one version): recorded as it was then.
prev=""
for a in "$@"; do
  if [ "$prev" = "--secrets-file" ]; then printf '%s secrets-file %s\\n' "${name}" "$(tr -d '\\n' < "$a")" >> '${log}'; fi
  prev="$a"
done
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
