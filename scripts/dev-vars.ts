// How `npm run dev` writes .dev.vars: example defaults < stack values < what the operator set.
// A value the operator left pointing at loopback is ours from an earlier run, so the stack's
// current value replaces it (ports may have moved).
export function parseVars(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split("\n")) {
    const t = line.trim();
    if (!t || t.startsWith("#")) continue;
    const i = t.indexOf("=");
    if (i > 0) m.set(t.slice(0, i).trim(), unquote(t.slice(i + 1).trim()));
  }
  return m;
}

// dotenv semantics (what wrangler reads): '…' is literal, "…" may hold escapes.
function unquote(v: string): string {
  if (v.length >= 2 && v.startsWith("'") && v.endsWith("'")) return v.slice(1, -1);
  if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) {
    try {
      return JSON.parse(v) as string;
    } catch {
      return v.slice(1, -1);
    }
  }
  return v;
}

function quote(v: string): string {
  if (!/[\s#"'\\]/.test(v)) return v;
  return v.includes("'") ? JSON.stringify(v) : `'${v}'`;
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
