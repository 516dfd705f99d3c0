// Password hashes as stored before the pepper, to test that they still work and get replaced.
/** A hash as the release before the pepper made them: PBKDF2-SHA256 of the NFKC password itself. */
export async function legacyHash(password: string, iterations = 100_000): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(password.normalize("NFKC")), "PBKDF2", false, ["deriveBits"]);
  const bits = new Uint8Array(await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, key, 256));
  const b64 = (b: Uint8Array) => btoa(String.fromCharCode(...b));
  return `pbkdf2-sha256$${iterations}$${b64(salt)}$${b64(bits)}`;
}
