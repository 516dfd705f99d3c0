// CRC-32 and SHA-256 for the job: the CRC is the shared one (zlib's native crc32).
import { createHash } from "node:crypto";
import { crc32Update } from "../../src/lib/crc32.ts";

export const crc32 = (crc: number, data: Uint8Array): number => crc32Update(crc, data);
export const sha256 = () => createHash("sha256");
