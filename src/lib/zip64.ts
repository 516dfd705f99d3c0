// ZIP layout for season bundles: STORE entries (and DEFLATE for small text members compressed
// up front, see deflateMember), ZIP64 records whenever a size, offset or count needs them, UTF-8
// names, DOS timestamps from each entry's own time. Pure: given the same entries it produces the
// same bytes, and it knows the total length and every header's and member's offset before a byte
// is written. CRC-32 and sizes of each member are known up front, so there are no data
// descriptors. (fflate's Zip writer has no ZIP64: fflate issue #81; fflate still deflates.)
import { deflateSync } from "fflate";
import { crc32 } from "./crc32";
import { isSafeMemberName, safeMemberName } from "./member-names";
export interface ZipEntry {
  /** Path inside the archive, UTF-8. */
  name: string;
  /** The member's size once extracted. */
  size: number;
  crc32: number;
  mtime: Date;
  /** Set for a DEFLATEd member: the length of its compressed bytes (what the archive holds). */
  compressedSize?: number;
}

/** The DEFLATE level of text members: fixed, so the same text always gives the same bytes. */
export const DEFLATE_LEVEL = 9;

/** A text member compressed up front (fflate), with what its entry needs: sizes and CRC-32. */
export function deflateMember(data: Uint8Array): { bytes: Uint8Array; size: number; compressedSize: number; crc32: number } {
  const bytes = deflateSync(data, { level: DEFLATE_LEVEL });
  return { bytes, size: data.length, compressedSize: bytes.length, crc32: crc32(data) };
}

/** How many bytes an entry takes in the archive after its local header. */
export const storedLength = (e: ZipEntry) => e.compressedSize ?? e.size;

export interface ZipMember extends ZipEntry {
  /** Where the local header starts. */
  headerOffset: number;
  /** Where the member's bytes start (right after its local header). */
  dataOffset: number;
  localHeader: Uint8Array;
}

export interface ZipLayout {
  members: ZipMember[];
  /** Central directory plus the (ZIP64) end records: the archive's tail. */
  tail: Uint8Array;
  tailOffset: number;
  totalSize: number;
  zip64: boolean;
}

const U32 = 0xffffffff;
const U16 = 0xffff;
const VERSION_ZIP64 = 45;
const VERSION_DEFAULT = 20;
const VERSION_MADE_BY = (3 << 8) | VERSION_ZIP64; // Unix, spec 4.5
const FLAG_UTF8 = 0x0800;
const EXTERNAL_ATTR = (0o100644 << 16) >>> 0; // regular file, rw-r--r--

class Writer {
  private readonly buf: Uint8Array;
  private readonly view: DataView;
  private pos = 0;
  constructor(size: number) {
    this.buf = new Uint8Array(size);
    this.view = new DataView(this.buf.buffer);
  }
  u16(v: number) {
    this.view.setUint16(this.pos, v, true);
    this.pos += 2;
  }
  u32(v: number) {
    this.view.setUint32(this.pos, v >>> 0, true);
    this.pos += 4;
  }
  u64(v: number) {
    this.view.setUint32(this.pos, v % 2 ** 32, true);
    this.view.setUint32(this.pos + 4, Math.floor(v / 2 ** 32), true);
    this.pos += 8;
  }
  bytes(b: Uint8Array) {
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
  done(): Uint8Array {
    if (this.pos !== this.buf.length) throw new Error(`zip writer: wrote ${this.pos} of ${this.buf.length} bytes`);
    return this.buf;
  }
}

/** MS-DOS date and time (2-second resolution, years 1980–2107), from the UTC fields. */
export function dosDateTime(d: Date): { date: number; time: number } {
  const y = Math.min(Math.max(d.getUTCFullYear(), 1980), 2107);
  const clamped = y !== d.getUTCFullYear();
  const date = ((y - 1980) << 9) | ((clamped ? 1 : d.getUTCMonth() + 1) << 5) | (clamped ? 1 : d.getUTCDate());
  const time = clamped ? 0 : (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | Math.floor(d.getUTCSeconds() / 2);
  return { date, time };
}

const enc = new TextEncoder();

function validate(entries: ZipEntry[]): Uint8Array[] {
  const seen = new Set<string>();
  return entries.map((e) => {
    // Names are made safe where they are made (member-names.ts); an unsafe one here is a bug upstream.
    if (!isSafeMemberName(e.name))
      throw new TypeError(`unsafe member name ${JSON.stringify(e.name)} (safeMemberName gives ${JSON.stringify(safeMemberName(e.name))})`);
    if (seen.has(e.name)) throw new TypeError(`duplicate member name ${JSON.stringify(e.name)}`);
    seen.add(e.name);
    if (!Number.isSafeInteger(e.size) || e.size < 0) throw new TypeError(`bad size for ${e.name}`);
    if (e.compressedSize !== undefined && (!Number.isSafeInteger(e.compressedSize) || e.compressedSize < 0))
      throw new TypeError(`bad compressed size for ${e.name}`);
    if (!Number.isInteger(e.crc32) || e.crc32 < 0 || e.crc32 > U32) throw new TypeError(`bad crc32 for ${e.name}`);
    const name = enc.encode(e.name);
    if (name.length > U16) throw new TypeError(`name too long: ${e.name}`);
    return name;
  });
}

/**
 * One member's local header. It depends on that entry alone, so a writer that learns a CRC-32
 * late can make the header then (its length never depends on the CRC).
 */
export function localHeader(entry: ZipEntry): Uint8Array {
  return encodeLocalHeader(entry, validate([entry])[0] as Uint8Array);
}

/**
 * The fields local and central headers share, in their order: version needed, flags (UTF-8
 * names), method (0 STORE, 8 DEFLATE), DOS time and date, CRC-32, compressed and uncompressed
 * size (0xFFFFFFFF when the ZIP64 extra carries them), name length, extra length.
 */
function sharedFields(w: Writer, version: number, e: ZipEntry, big: boolean, nameLen: number, extraLen: number) {
  const { date, time } = dosDateTime(e.mtime);
  w.u16(version);
  w.u16(FLAG_UTF8);
  w.u16(e.compressedSize === undefined ? 0 : 8);
  w.u16(time);
  w.u16(date);
  w.u32(e.crc32);
  w.u32(big ? U32 : storedLength(e));
  w.u32(big ? U32 : e.size);
  w.u16(nameLen);
  w.u16(extraLen);
}

function encodeLocalHeader(e: ZipEntry, name: Uint8Array): Uint8Array {
  // In a local header ZIP64 extra carries both sizes; needed when a size doesn't fit.
  const big = e.size >= U32 || storedLength(e) >= U32;
  const extraLen = big ? 20 : 0;
  const w = new Writer(30 + name.length + extraLen);
  w.u32(0x04034b50);
  sharedFields(w, big ? VERSION_ZIP64 : VERSION_DEFAULT, e, big, name.length, extraLen);
  w.bytes(name);
  if (big) {
    w.u16(0x0001);
    w.u16(16);
    w.u64(e.size);
    w.u64(storedLength(e));
  }
  return w.done();
}

export function planZip(entries: ZipEntry[]): ZipLayout {
  const names = validate(entries);
  const members: ZipMember[] = [];
  let offset = 0;
  entries.forEach((e, i) => {
    const name = names[i] as Uint8Array;
    const localHeader = encodeLocalHeader(e, name);
    members.push({ ...e, headerOffset: offset, dataOffset: offset + localHeader.length, localHeader });
    offset += localHeader.length + storedLength(e);
  });

  const cdOffset = offset;
  const central: Uint8Array[] = members.map((m, i) => {
    const name = names[i] as Uint8Array;
    const bigSize = m.size >= U32 || storedLength(m) >= U32;
    const bigOffset = m.headerOffset >= U32;
    const extraLen = bigSize || bigOffset ? 4 + (bigSize ? 16 : 0) + (bigOffset ? 8 : 0) : 0;
    const w = new Writer(46 + name.length + extraLen);
    w.u32(0x02014b50);
    w.u16(VERSION_MADE_BY);
    sharedFields(w, bigSize || bigOffset ? VERSION_ZIP64 : VERSION_DEFAULT, m, bigSize, name.length, extraLen);
    w.u16(0); // comment
    w.u16(0); // disk
    w.u16(0); // internal attributes
    w.u32(EXTERNAL_ATTR);
    w.u32(bigOffset ? U32 : m.headerOffset);
    w.bytes(name);
    if (extraLen) {
      w.u16(0x0001);
      w.u16(extraLen - 4);
      if (bigSize) {
        w.u64(m.size);
        w.u64(storedLength(m));
      }
      if (bigOffset) w.u64(m.headerOffset);
    }
    return w.done();
  });
  const cdSize = central.reduce((n, b) => n + b.length, 0);
  const zip64 =
    members.length >= U16 ||
    cdOffset >= U32 ||
    cdSize >= U32 ||
    members.some((m) => m.size >= U32 || storedLength(m) >= U32 || m.headerOffset >= U32);

  const endLen = (zip64 ? 56 + 20 : 0) + 22;
  const w = new Writer(cdSize + endLen);
  for (const c of central) w.bytes(c);
  if (zip64) {
    const eocd64Offset = cdOffset + cdSize;
    w.u32(0x06064b50);
    w.u64(44);
    w.u16(VERSION_MADE_BY);
    w.u16(VERSION_ZIP64);
    w.u32(0);
    w.u32(0);
    w.u64(members.length);
    w.u64(members.length);
    w.u64(cdSize);
    w.u64(cdOffset);
    w.u32(0x07064b50);
    w.u32(0);
    w.u64(eocd64Offset);
    w.u32(1);
  }
  w.u32(0x06054b50);
  w.u16(0);
  w.u16(0);
  w.u16(members.length >= U16 ? U16 : members.length);
  w.u16(members.length >= U16 ? U16 : members.length);
  w.u32(cdSize >= U32 ? U32 : cdSize);
  w.u32(zip64 ? U32 : cdOffset);
  w.u16(0);
  const tail = w.done();
  return { members, tail, tailOffset: cdOffset, totalSize: cdOffset + tail.length, zip64 };
}
