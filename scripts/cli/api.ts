// How the CLI talks to the API: base URL from --api, MOVIESNOW_API or the saved session;
// credentials from MOVIESNOW_ADMIN_KEY (X-Admin-Key) or the saved session (Bearer). Errors come
// back as the API's problem+json detail.
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { type ApiClient, createApiClient } from "../client/index.ts";

export interface Session {
  api: string;
  token: string;
  email: string;
  expires_at: string;
}

const configDir = () => process.env.MOVIESNOW_CONFIG_DIR ?? join(process.env.XDG_CONFIG_HOME ?? join(homedir(), ".config"), "moviesnow");
const sessionFile = () => join(configDir(), "session.json");

export function loadSession(): Session | null {
  if (!existsSync(sessionFile())) return null;
  const s = JSON.parse(readFileSync(sessionFile(), "utf8")) as Session;
  return Date.parse(s.expires_at) > Date.now() ? s : null;
}

/** Forgets the saved session; says whether there was one. */
export function clearSession(): boolean {
  if (!existsSync(sessionFile())) return false;
  rmSync(sessionFile(), { force: true });
  return true;
}

/**
 * Where the CLI keeps state between runs (resumable uploads): $MOVIESNOW_STATE_DIR, else
 * $XDG_STATE_HOME/moviesnow, else the platform's place for it.
 */
export function stateDir(): string {
  if (process.env.MOVIESNOW_STATE_DIR) return process.env.MOVIESNOW_STATE_DIR;
  if (process.env.XDG_STATE_HOME) return join(process.env.XDG_STATE_HOME, "moviesnow");
  if (process.platform === "darwin") return join(homedir(), "Library", "Application Support", "moviesnow");
  if (process.platform === "win32") return join(process.env.LOCALAPPDATA ?? join(homedir(), "AppData", "Local"), "moviesnow");
  return join(homedir(), ".local", "state", "moviesnow");
}

export function saveSession(s: Session): string {
  mkdirSync(configDir(), { recursive: true, mode: 0o700 });
  writeFileSync(sessionFile(), `${JSON.stringify(s, null, 2)}\n`, { mode: 0o600 });
  chmodSync(sessionFile(), 0o600);
  return sessionFile();
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface Api {
  /** The …/api/v1 URL this CLI talks to (kept with a session, compared on resume). */
  base: string;
  /** Typed against the API's OpenAPI document: `client.GET("/api/v1/admin/assets/{id}", …)`. */
  client: ApiClient;
}

/**
 * The body of a successful answer with its status; a failed one throws ApiError carrying the
 * path, the status and the problem's code, detail and fields.
 */
export async function ok<R extends { data?: unknown; error?: unknown; response: Response }>(
  answer: Promise<R>,
): Promise<{ status: number; body: Exclude<R["data"], undefined> }> {
  const r = await answer;
  if (r.response.status >= 400 || r.error !== undefined) {
    const path = new URL(r.response.url).pathname.replace(/^\/api\/v1/, "");
    const text = typeof r.error === "string" ? r.error : JSON.stringify(r.error ?? null);
    throw new ApiError(r.response.status, `${path} → ${r.response.status}: ${problemText(text)}`);
  }
  return { status: r.response.status, body: r.data as Exclude<R["data"], undefined> };
}

/** An API error body in one line: its code and detail (or title), and the fields it names. */
export function problemText(text: string): string {
  try {
    const p = JSON.parse(text) as { code?: string; detail?: string; title?: string; errors?: { path: string; message: string }[] } | null;
    const fields = p?.errors?.map((e) => `${e.path}: ${e.message}`).join("; ");
    const head = [p?.code, p?.detail ?? p?.title].filter(Boolean).join(": ");
    return `${head || text.slice(0, 200)}${fields ? ` (${fields})` : ""}`;
  } catch {
    return text.slice(0, 200);
  }
}

/**
 * auth: true (default) uses MOVIESNOW_ADMIN_KEY, else the saved session; "session" uses only the
 * saved session (to act on the session itself); false sends no credentials.
 */
export function api(opts: { api?: string | undefined; auth?: boolean | "session" } = {}): Api {
  const session = loadSession();
  const base = (opts.api ?? process.env.MOVIESNOW_API ?? session?.api ?? "").replace(/\/$/, "");
  if (!base) throw new ApiError(0, "no API: pass --api URL (…/api/v1) or set MOVIESNOW_API");
  checkTransport(base);
  const headers: Record<string, string> = {};
  if (opts.auth !== false) {
    if (opts.auth !== "session" && process.env.MOVIESNOW_ADMIN_KEY) headers["x-admin-key"] = process.env.MOVIESNOW_ADMIN_KEY;
    else if (session && session.api === base) headers.authorization = `Bearer ${session.token}`;
    else throw new ApiError(401, "not signed in: run `moviesnow login` or set MOVIESNOW_ADMIN_KEY");
  }
  return { base, client: createApiClient(base, { headers }) };
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/**
 * Keys, sessions, passwords and TOTP codes travel only over https, or plain http to this machine
 * (the local stack): anything else could hand them to whoever is on the path.
 */
export function checkTransport(base: string): void {
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new ApiError(0, `--api ${JSON.stringify(base)} is not a URL (…/api/v1)`);
  }
  if (url.protocol === "https:") return;
  if (url.protocol === "http:" && LOOPBACK.test(url.hostname)) return;
  throw new ApiError(0, `refusing ${url.origin}: the API is reached over https (plain http only to localhost or 127.0.0.1)`);
}
