// GET /docs: the interactive API docs (Swagger UI) over the generated OpenAPI document. Its script
// and styles are the Worker's own static assets (swagger-ui-dist, see wrangler.toml [assets]), so
// the page loads nothing from another origin, and its Content-Security-Policy says so.
import { Hono } from "hono";
import type { AppEnv } from "../../http/context";
import { AppError } from "../../lib/errors";

/** The files the page uses, and nothing else of the assets directory. */
const ASSET_FILES: Record<string, string> = {
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
};
const ASSET_CACHE = "public, max-age=86400";

export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  // Swagger UI sets style attributes on its elements.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

export function docsRoutes(openapiPath: string) {
  const page = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>MoviesNow API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/init.js"></script>
</body>
</html>
`;
  // A file, not an inline script: the policy allows scripts from this origin only.
  const init = `window.ui = SwaggerUIBundle({ url: ${JSON.stringify(openapiPath)}, dom_id: "#swagger-ui", deepLinking: true });\n`;
  const headers = { "content-security-policy": DOCS_CSP, "cache-control": "no-cache" };

  return new Hono<AppEnv>()
    .get("/docs", (c) => c.html(page, 200, headers))
    .get("/docs/assets/init.js", (c) => c.body(init, 200, { ...headers, "content-type": "text/javascript; charset=utf-8" }))
    .get("/docs/assets/:file", async (c) => {
      const file = c.req.param("file");
      const type = ASSET_FILES[file];
      if (!type) throw new AppError("NOT_FOUND", `No docs asset ${file}.`);
      const res = await c.env.ASSETS.fetch(new URL(`/${file}`, c.req.url));
      if (!res.ok) throw new AppError("NOT_FOUND", `No docs asset ${file}.`);
      return new Response(res.body, { status: 200, headers: { "content-type": type, "cache-control": ASSET_CACHE } });
    });
}
