// Who is acting on an admin route: a signed-in admin or the automation key. Its own module so
// that auth (which makes actors) and audit (which records them) don't import each other.
export type Actor =
  | { kind: "admin"; id: string; email: string; label: string; sessionId: string; expiresAt: number }
  | { kind: "api_key"; id: "api-key"; label: "api-key" };
