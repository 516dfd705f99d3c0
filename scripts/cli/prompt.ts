// Secrets and codes the CLI asks for: from an environment variable, else the first line of
// standard input (when asked to, or when it is not a terminal), else a prompt on stderr.
import { createInterface } from "node:readline/promises";

export async function ask(question: string, envName: string, fromStdin = false): Promise<string> {
  const fromEnv = process.env[envName];
  if (fromEnv) return fromEnv;
  if (fromStdin || !process.stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString("utf8").split(/\r?\n/)[0] ?? "";
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  try {
    return await rl.question(question);
  } finally {
    rl.close();
  }
}
