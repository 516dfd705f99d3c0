import type { Schemas } from "../client/index.ts";
import { type Api, api, ok } from "./api.ts";
import { type Command, commandArgs, UsageError } from "./command.ts";

type Asset = Schemas["MediaAsset"];

export interface BackfillRow {
  id: string;
  storage_key: string;
  outcome: "updated" | "unchanged" | "failed";
  changed: string[];
  error: string | null;
}

async function missingAssets({ client }: Api): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const query = { limit: 200, ...(cursor ? { cursor } : {}) };
    const page: { items: { id: string }[]; next_cursor: string | null } = (
      await ok(client.GET("/api/v1/admin/titles", { params: { query } }))
    ).body;
    for (const t of page.items) {
      const assets = await ok(client.GET("/api/v1/admin/titles/{id}/assets", { params: { path: { id: t.id } } }));
      for (const a of assets.body.items) if (a.size_bytes === null || a.sha256 === null) ids.push(a.id);
    }
    cursor = page.next_cursor;
  } while (cursor);
  return ids;
}

async function backfillOne({ client }: Api, id: string): Promise<BackfillRow> {
  let key = "";
  try {
    const asset = { params: { path: { id } } };
    const before: Asset = (await ok(client.GET("/api/v1/admin/assets/{id}", asset))).body;
    key = before.storage_key;
    await ok(client.GET("/api/v1/admin/assets/{id}/head", asset));
    // Large objects are hashed by the job service: 202 until it has finished.
    let after: Asset | null = null;
    for (let i = 0; !after; i++) {
      const r = await ok(client.POST("/api/v1/admin/assets/{id}/checksum", asset));
      if (r.status === 200 && "asset" in r.body) after = r.body.asset;
      else if (i > 600) throw new Error("the checksum job did not finish in time");
      else await new Promise((ok) => setTimeout(ok, 1000));
    }
    const changed = (["size_bytes", "content_type", "sha256", "crc32"] as const).filter((k) => before[k] !== after[k]);
    return { id, storage_key: key, outcome: changed.length ? "updated" : "unchanged", changed, error: null };
  } catch (e) {
    return { id, storage_key: key, outcome: "failed", changed: [], error: (e as Error).message };
  }
}

export const backfillCommand: Command = {
  usage: `moviesnow backfill --ids ID,ID,… | --missing [--concurrency 4] [--api URL] [--json]

  For each asset: HEAD (size, type from S3) and checksum (SHA-256 + CRC-32; large objects by the
  job service). --missing takes every asset that has no size or no SHA-256 yet. Exits 1 when any
  asset failed.

  Examples:
    moviesnow backfill --missing
    moviesnow backfill --ids 5f0c…,9a21… --concurrency 8 --json`,
  async run(args) {
    const { values } = commandArgs(args, {
      ids: { type: "string" },
      missing: { type: "boolean" },
      concurrency: { type: "string", default: "4" },
    });
    const usage = (m: string) => new UsageError(m);
    if (!values.ids === !values.missing) throw usage("backfill needs --ids ID,ID,… or --missing (one of them)");
    const concurrency = Number(values.concurrency);
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 32) throw usage("--concurrency must be 1 to 32");
    const client = api({ api: values.api });
    const ids = values.ids
      ? [
          ...new Set(
            values.ids
              .split(",")
              .map((s) => s.trim())
              .filter(Boolean),
          ),
        ]
      : await missingAssets(client);
    const rows: BackfillRow[] = [];
    const queue = [...ids];
    await Promise.all(
      Array.from({ length: Math.min(concurrency, queue.length) }, async () => {
        for (let id = queue.shift(); id; id = queue.shift()) {
          const row = await backfillOne(client, id);
          rows.push(row);
          if (!values.json && process.stderr.isTTY) process.stderr.write(`\rbackfill ${rows.length}/${ids.length}`);
        }
      }),
    );
    if (!values.json && process.stderr.isTTY) process.stderr.write("\n");
    rows.sort((a, b) => ids.indexOf(a.id) - ids.indexOf(b.id));
    const summary = {
      total: rows.length,
      updated: rows.filter((r) => r.outcome === "updated").length,
      unchanged: rows.filter((r) => r.outcome === "unchanged").length,
      failed: rows.filter((r) => r.outcome === "failed").length,
    };
    if (values.json) console.log(JSON.stringify({ summary, items: rows }));
    else {
      const w = Math.max(8, ...rows.map((r) => r.storage_key.length));
      console.log(`${"asset".padEnd(36)}  ${"key".padEnd(w)}  ${"outcome".padEnd(9)}  details`);
      for (const r of rows)
        console.log(`${r.id.padEnd(36)}  ${r.storage_key.padEnd(w)}  ${r.outcome.padEnd(9)}  ${r.error ?? r.changed.join(", ")}`);
      console.log(`${summary.total} assets: ${summary.updated} updated, ${summary.unchanged} unchanged, ${summary.failed} failed`);
    }
    return summary.failed > 0 ? 1 : 0;
  },
};
