// Content-Disposition: attachment with an RFC 6266 / RFC 5987 filename: an ASCII fallback for
// old clients and the exact UTF-8 name in filename*, so non-ASCII names survive.
export function attachmentDisposition(filename: string, type: "attachment" | "inline" = "attachment"): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters must never reach a header
  const CONTROL = /[\u0000-\u001f\u007f]/g;
  const clean = filename.normalize("NFC").replace(CONTROL, "").trim() || "download";
  const fallback =
    clean
      .normalize("NFKD")
      .replace(/[\u0300-\u036f]/g, "")
      .replace(/[^\x20-\x7e]/g, "_")
      .replace(/["\\]/g, "_") || "download";
  const encoded = encodeURIComponent(clean).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${type}; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

/** The filename* value of a Content-Disposition header, decoded (for tests and clients). */
export function dispositionFilename(header: string): string | null {
  const star = header.match(/filename\*=UTF-8''([^;]+)/i)?.[1];
  if (star) return decodeURIComponent(star);
  return header.match(/filename="([^"]*)"/i)?.[1] ?? null;
}
