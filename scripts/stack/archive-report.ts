// What scripts/stack/archive-check.ts reports; types only, so Worker tests can import it too.
export interface ArchiveCheck {
  unzip: { ok: boolean; output: string };
  python: { ok: boolean; output: string };
  sevenZip: { ok: boolean; output: string };
  /** `bsdtar -tf`: its output is the member list. */
  bsdtar: { ok: boolean; output: string };
  members: { name: string; size: number; sha256: string }[];
}
