/** Unique suffixes so tests never collide, whatever order they run in. */
export const uid = (prefix = "t") => `${prefix}-${crypto.randomUUID()}`;
