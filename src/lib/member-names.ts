// The one rule for names inside our ZIP archives, made from titles and admin-given filenames: a
// name every extractor (Windows Explorer, macOS Archive Utility, unzip, 7-Zip, bsdtar, Python)
// writes inside the folder it extracts to, under that very name.
// - "/" separates folders; no segment is empty, "." or "..", and no name starts with "/";
// - "\" (a separator on Windows), drive colons and the other characters Windows refuses
//   (<>:"|?*), and control characters become "_";
// - a segment may not end in a dot or a space (Windows drops them) nor be a reserved device name
//   (CON, PRN, AUX, NUL, COM1–9, LPT1–9, with any extension);
// - each segment is at most 255 bytes of UTF-8 (shortened before its extension), NFC-normalised.

// biome-ignore lint/suspicious/noControlCharactersInRegex: replacing control characters is the point
const REPLACED = /[<>:"|?*\\\u0000-\u001f\u007f]/g;
const RESERVED = /^(con|prn|aux|nul|com[1-9¹²³]|lpt[1-9¹²³])(\.|$)/i;
const MAX_SEGMENT_BYTES = 255;
const utf8Length = (s: string) => new TextEncoder().encode(s).length;

function safeSegment(raw: string): string {
  let s = raw
    .normalize("NFC")
    .replace(REPLACED, "_")
    .replace(/[. ]+$/, "");
  if (s === "" || s === "." || s === "..") s = "_";
  if (RESERVED.test(s)) s = `_${s}`;
  if (utf8Length(s) > MAX_SEGMENT_BYTES) {
    const dot = s.lastIndexOf(".");
    const ext = dot > 0 && s.length - dot <= 16 ? s.slice(dot) : "";
    let stem = s.slice(0, s.length - ext.length);
    // Whole code points off the end until it fits (never half a surrogate pair).
    while (utf8Length(stem + ext) > MAX_SEGMENT_BYTES) stem = Array.from(stem).slice(0, -1).join("");
    s = stem.replace(/[. ]+$/, "") + ext;
  }
  return s;
}

/** One folder or file name made safe for every extractor; a "/" in it is replaced too. */
export const safeNameSegment = (raw: string): string => safeSegment(raw.replace(/\//g, "_"));

/** `name` made safe for every extractor; "/" keeps separating folders. */
export function safeMemberName(name: string): string {
  const segments = name.split("/").filter((seg) => seg !== "");
  return segments.length === 0 ? "_" : segments.map(safeSegment).join("/");
}

/** A name is safe when making it safe changes nothing. */
export const isSafeMemberName = (name: string) => name !== "" && safeMemberName(name) === name;
