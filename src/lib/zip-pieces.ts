// Where every byte of a planned archive comes from, so any byte range of it can be served without
// building it: headers, small DEFLATEd members and the central directory from memory, STORED
// members from their source objects (read with ranged GETs for the part a range needs). Pure.
import { storedLength, type ZipLayout } from "./zip64";

/** Bytes held in memory, or `length` bytes of a source object from its start. */
export type Piece = { start: number; bytes: Uint8Array } | { start: number; length: number; ref: string };

/** A piece cut to a range: bytes to send, or which bytes of which source object. */
export type Slice = { bytes: Uint8Array } | { ref: string; offset: number; length: number };

const pieceLength = (p: Piece) => ("bytes" in p ? p.bytes.length : p.length);

/**
 * The archive as pieces in order, covering [0, layout.totalSize) exactly. `content(i)` is member
 * i's stored bytes (a DEFLATEd member's compressed bytes) or the source object it is read from.
 */
export function archivePieces(layout: ZipLayout, content: (memberIndex: number) => Uint8Array | { ref: string }): Piece[] {
  const pieces: Piece[] = [];
  layout.members.forEach((m, i) => {
    pieces.push({ start: m.headerOffset, bytes: m.localHeader });
    const c = content(i);
    if (c instanceof Uint8Array) {
      if (c.length !== storedLength(m)) throw new RangeError(`member ${m.name}: ${c.length} bytes given, ${storedLength(m)} planned`);
      pieces.push({ start: m.dataOffset, bytes: c });
    } else if (storedLength(m) > 0) pieces.push({ start: m.dataOffset, length: storedLength(m), ref: c.ref });
  });
  pieces.push({ start: layout.tailOffset, bytes: layout.tail });
  return pieces.filter((p) => pieceLength(p) > 0);
}

/** The pieces' parts within bytes [first, last] (inclusive, as HTTP ranges count), in order. */
export function slicePieces(pieces: Piece[], first: number, last: number): Slice[] {
  const out: Slice[] = [];
  // Pieces are in order: a binary search finds the first one the range touches.
  let lo = 0;
  let hi = pieces.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((pieces[mid] as Piece).start <= first) lo = mid;
    else hi = mid - 1;
  }
  for (let i = lo; i < pieces.length; i++) {
    const p = pieces[i] as Piece;
    if (p.start > last) break;
    const from = Math.max(first, p.start) - p.start;
    const to = Math.min(last + 1, p.start + pieceLength(p)) - p.start; // exclusive
    if (to <= from) continue;
    out.push("bytes" in p ? { bytes: p.bytes.subarray(from, to) } : { ref: p.ref, offset: from, length: to - from });
  }
  return out;
}
