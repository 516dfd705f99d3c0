// The repository stands on its own: nothing in it points outside it, the README stays a short
// front door, and every link in the docs leads to a file that exists.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");
const tracked = execFileSync("git", ["ls-files", "-z"], { cwd: root, encoding: "utf8" })
  .split("\0")
  .filter((f) => f && existsSync(join(root, f)));
const TEXT = /\.(ts|cjs|mjs|js|json|md|toml|tf|hcl|sh|sql|example)$|(^|\/)(Dockerfile|run|\.gitignore)$/;
const texts = tracked.filter((f) => TEXT.test(f) && f !== "package-lock.json" && f !== "worker-configuration.d.ts");

describe("the repository", () => {
  it("refers to nothing outside itself (no design notes, reference documents or issue numbers)", () => {
    const outside = /\.\.\/shared|DESIGN\.md|seeds\/|\bissue \d+\b|the seed's/i;
    const hits = texts
      .filter((f) => f !== "test/repo/repository.node.test.ts") // its own pattern
      .flatMap((f) =>
        readFileSync(join(root, f), "utf8")
          .split("\n")
          .flatMap((line, i) => (outside.test(line) ? [`${f}:${i + 1}: ${line.trim()}`] : [])),
      );
    expect(hits).toEqual([]);
  });

  it("keeps the README a front door of at most about 1,500 words", () => {
    const words = readFileSync(join(root, "README.md"), "utf8").split(/\s+/).filter(Boolean).length;
    expect(words).toBeLessThanOrEqual(1500);
  });

  it("every relative link in the README and docs/ leads to a file of the repository", () => {
    const pages = texts.filter((f) => f.endsWith(".md"));
    const broken: string[] = [];
    for (const page of pages) {
      for (const m of readFileSync(join(root, page), "utf8").matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)) {
        const target = m[1] ?? "";
        if (/^[a-z]+:/i.test(target)) continue; // absolute URLs
        if (!existsSync(join(root, dirname(page), target))) broken.push(`${page} → ${target}`);
      }
    }
    expect(pages).toEqual(expect.arrayContaining(["README.md", "docs/architecture.md", "docs/deploy.md", "docs/operations.md"]));
    expect(broken).toEqual([]);
  });
});
