import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { mergeDevVars, parseVars, renderDevVars } from "../../scripts/dev-vars.ts";

describe(".dev.vars written by npm run dev", () => {
  const example = parseVars("# comment\nENVIRONMENT=development\nADMIN_API_KEY=\nS3_ENDPOINT=http://127.0.0.1:1\n");
  const stack = { S3_ENDPOINT: "http://127.0.0.1:18080", DATABASE_URL: "postgresql://u:p@127.0.0.1:54329/db" };

  it("fills stack values over the example's", () => {
    expect(mergeDevVars(example, stack, new Map())).toEqual({
      ENVIRONMENT: "development",
      ADMIN_API_KEY: "",
      S3_ENDPOINT: "http://127.0.0.1:18080",
      DATABASE_URL: "postgresql://u:p@127.0.0.1:54329/db",
    });
  });

  it("keeps what the operator set, and refreshes stale loopback values of its own", () => {
    const existing = parseVars(
      'ADMIN_API_KEY="my key"\nDATABASE_URL=postgresql://u:p@ep-cool.neon.tech/db\nS3_ENDPOINT=http://127.0.0.1:9999\nEXTRA=1\n',
    );
    const out = mergeDevVars(example, stack, existing);
    expect(out.ADMIN_API_KEY).toBe("my key");
    expect(out.DATABASE_URL).toBe("postgresql://u:p@ep-cool.neon.tech/db");
    expect(out.S3_ENDPOINT).toBe("http://127.0.0.1:18080");
    expect(out.EXTRA).toBe("1");
  });

  it("round-trips values with spaces and quotes", () => {
    const vars = { A: 'has "quotes" and spaces', B: "plain", C: "it's # here", D: "-----BEGIN KEY-----", E: "" };
    expect(Object.fromEntries(parseVars(renderDevVars(vars)))).toEqual(vars);
  });

  it("keeps a multi-line PEM key, and values with backslashes, dollars and every quote but one, intact", () => {
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 1024 });
    const pem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    const vars = {
      CLOUDFRONT_PRIVATE_KEY: pem,
      BACKSLASH: String.raw`C:\new\table`,
      ESCAPED_PEM: pem.replaceAll("\n", String.raw`\n`),
      DOLLAR: "pa$$word $HOME",
      MIXED: `it's "quoted"`,
      HASH: "value # not a comment",
    };
    const text = renderDevVars(vars);
    expect(Object.fromEntries(parseVars(text))).toEqual(vars);
    // The operator's file goes through npm run dev's merge and every value comes back unchanged.
    const again = renderDevVars(mergeDevVars(new Map(), {}, parseVars(text)));
    expect(Object.fromEntries(parseVars(again))).toEqual(vars);
  });

  it("refuses a value it cannot write back unchanged instead of breaking it", () => {
    expect(() => renderDevVars({ X: `'"\`\\` })).toThrow(/quote/);
  });
});
