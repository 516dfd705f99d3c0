// What scripts/stack/archive-check.ts reports; types only, so Worker tests can import it too.
export interface ArchiveCheck {
  unzip: { ok: boolean; output: string };
  python: { ok: boolean; output: string };
  members: { name: string; size: number; sha256: string }[];
}
