// Adaptive playback with captions in a real browser: Debian's Chromium, headless, driven by
// playwright-core, plays a packaged title's master_url with hls.js on a page served here from
// another origin (so CORS is what a web player meets): playback passes 5 s, hls.js reports no
// error, the three tiers and the English subtitle track are listed.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminOverHttp, adminWorkerVars } from "../../support/http-admin.ts";
import { type HttpWorker, startHttpWorker } from "../../support/http-worker.ts";
import { packagedMovie } from "../../support/packaged-title.ts";

const root = resolve(import.meta.dirname, "../../..");
const dir = mkdtempSync(join(tmpdir(), "mn-hls-browser-"));
const adminKey = `browser-${crypto.randomUUID()}`;
let worker: HttpWorker;
let page: Server;
let pageUrl = "";
let browser: Browser;

const PAGE = `<!doctype html><meta charset="utf-8"><video id="v" muted playsinline></video>
<script src="/hls.min.js"></script>
<script>
  const video = document.getElementById("v");
  window.report = { errors: [], levels: [], subtitleTracks: [] };
  const hls = new Hls();
  hls.on(Hls.Events.ERROR, (_, d) => window.report.errors.push({ type: d.type, details: d.details, fatal: d.fatal }));
  hls.on(Hls.Events.MANIFEST_PARSED, (_, d) => {
    window.report.levels = d.levels.map((l) => l.height);
    video.play();
  });
  hls.on(Hls.Events.SUBTITLE_TRACKS_UPDATED, (_, d) => {
    window.report.subtitleTracks = d.subtitleTracks.map((t) => ({ lang: t.lang, name: t.name, default: t.default }));
  });
  hls.loadSource(new URLSearchParams(location.search).get("src"));
  hls.attachMedia(video);
</script>`;

beforeAll(async () => {
  worker = await startHttpWorker(adminWorkerVars(adminKey));
  const hlsJs = readFileSync(resolve(root, "node_modules/hls.js/dist/hls.min.js"));
  page = createServer((req, res) => {
    if (req.url?.startsWith("/hls.min.js")) res.writeHead(200, { "content-type": "text/javascript" }).end(hlsJs);
    else res.writeHead(200, { "content-type": "text/html" }).end(PAGE);
  });
  await new Promise<void>((r) => page.listen(0, "127.0.0.1", r));
  pageUrl = `http://127.0.0.1:${(page.address() as AddressInfo).port}/`;
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
    ],
  });
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await new Promise((r) => page?.close(r));
  await worker?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("a packaged title in Chromium with hls.js", () => {
  it("plays the master past 5 s with no error, listing the three tiers and the subtitle track", async () => {
    const { masterUrl } = await packagedMovie({ dir, api: worker.api, adminKey, admin: adminOverHttp(worker.api, adminKey) });
    const tab = await browser.newPage();
    try {
      await tab.goto(`${pageUrl}?src=${encodeURIComponent(masterUrl)}`);
      // Waits on playback, not on a clock (the clip is 10 s long), or on hls.js giving up.
      await tab.waitForFunction(
        () =>
          (document.getElementById("v") as HTMLVideoElement).currentTime >= 5 ||
          (window as unknown as { report: { errors: { fatal: boolean }[] } }).report.errors.some((e) => e.fatal),
        undefined,
        { timeout: 120_000 },
      );
      const report = (await tab.evaluate(() => (window as unknown as { report: unknown }).report)) as {
        errors: { type: string; details: string; fatal: boolean }[];
        levels: number[];
        subtitleTracks: { lang: string; name: string; default: boolean }[];
      };
      // A non-fatal buffer stall says playback waited for data: on a loaded two-core machine that
      // is its speed (three fresh-clone runs saw it twice), not the stream. Every other error event,
      // and any fatal one, fails; and playback must still reach 5 s.
      const stalls = report.errors.filter((e) => e.details === "bufferStalledError" && !e.fatal);
      if (stalls.length) console.log(`hls-browser: ${stalls.length} non-fatal buffer stall(s) while the machine was busy`);
      expect(report.errors.filter((e) => !stalls.includes(e))).toEqual([]);
      expect(await tab.evaluate(() => (document.getElementById("v") as HTMLVideoElement).currentTime)).toBeGreaterThanOrEqual(5);
      expect([...report.levels].sort((a, b) => a - b)).toEqual([480, 720, 1080]);
      expect(report.subtitleTracks).toEqual([{ lang: "en", name: "English", default: true }]);
    } finally {
      await tab.close();
    }
  }, 240_000);
});
