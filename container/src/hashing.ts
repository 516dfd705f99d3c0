// CRC-32 and SHA-256 for the job: zlib's native crc32 where Node has it (≥ 20.15), our
// slicing-by-8 JS otherwise.
import { createHash } from "node:crypto";
import * as zlib from "node:zlib";
import { crc32Update } from "../../src/lib/crc32.ts";

type NativeCrc = (data: Uint8Array, value?: number) => number;
const native = (zlib as unknown as { crc32?: NativeCrc }).crc32;

export const crc32 = (crc: number, data: Uint8Array): number => (native ? native(data, crc) : crc32Update(crc, data));
export const sha256 = () => createHash("sha256");
