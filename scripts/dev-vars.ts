// How `npm run dev` writes .dev.vars: example defaults < stack values < what the operator set.
// A value the operator left pointing at loopback is ours from an earlier run, so the stack's
// current value replaces it (ports may have moved).
import { parseEnv } from "node:util";

/** A dotenv file as wrangler reads .dev.vars (quotes, multi-line values), by Node's own parser. */
export function parseVars(text: string): Map<string, string> {
  return new Map(Object.entries(parseEnv(text)).map(([k, v]) => [k, v ?? ""]));
}

/**
 * A value as dotenv reads it back unchanged: bare when it is plain, else in the first quotes it
 * does not contain. Single quotes and backticks are literal and may span lines (a PEM key);
 * double quotes only serve when the value has no backslash, which they would read as an escape.
 */
export function quote(v: string): string {
  if (/^[\w@%+=:,./-]*$/.test(v)) return v;
  if (!v.includes("'")) return `'${v}'`;
  if (!v.includes("`")) return `\`${v}\``;
  if (!v.includes('"') && !v.includes("\\")) return `"${v}"`;
  throw new Error("a value with every kind of quote cannot be written to a dotenv file");
}

const isLocal = (v: string) => v === "" || /\/\/(127\.0\.0\.1|localhost)[:/]/.test(v) || /@(127\.0\.0\.1|localhost)[:/]/.test(v);

export function mergeDevVars(
  example: Map<string, string>,
  stack: Record<string, string>,
  existing: Map<string, string>,
): Record<string, string> {
  const out: Record<string, string> = Object.fromEntries(example);
  Object.assign(out, stack);
  for (const [k, v] of existing) {
    if (stack[k] !== undefined && isLocal(v)) continue;
    out[k] = v;
  }
  return out;
}

export function renderDevVars(vars: Record<string, string>): string {
  const body = Object.entries(vars)
    .map(([k, v]) => `${k}=${quote(v)}`)
    .join("\n");
  return `# Written by npm run dev from the local stack; your own values are kept.\n${body}\n`;
}
