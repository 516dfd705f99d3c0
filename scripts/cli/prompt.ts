// Secrets and codes the CLI asks for: from an environment variable, else the first line of
// standard input (when asked to, or when it is not a terminal), else a prompt on the terminal
// that does not show what is typed (npm's `read`, with the terminal's echo muted).
import { read } from "read";

export async function ask(question: string, envName: string, fromStdin = false): Promise<string> {
  const fromEnv = process.env[envName];
  if (fromEnv) return fromEnv;
  if (fromStdin || !process.stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString("utf8").split(/\r?\n/)[0] ?? "";
  }
  try {
    return await read({ prompt: question, silent: true, replace: "", output: process.stderr });
  } catch (e) {
    // Ctrl-C at the prompt: exit as the signal would have.
    if ((e as Error).message === "canceled") throw Object.assign(new Error("interrupted"), { exitCode: 130 });
    throw e;
  }
}
