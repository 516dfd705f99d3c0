// Which feature folder (src/features/<name>/) serves a URL, from its path alone. The rule is
// the layout's index: docs/architecture.md shows it as a table, and a test checks that every
// operation of the OpenAPI document is declared in a routes*.ts file of the feature named here.

export type Feature = "system" | "auth" | "audit" | "catalog" | "assets" | "delivery" | "bundles";

/** `path` as the OpenAPI document writes it, with or without the /api/v1 prefix. */
export function featureOfPath(path: string): Feature {
  const p = path.replace(/^\/api\/v1/, "").replace(/^\/admin(?=\/)/, "");
  // Season ZIPs wherever they appear: /titles/{id}/bundles, /admin/bundles, /delivery/request-bundle.
  if (p.includes("bundle")) return "bundles";
  if (/^\/(auth|admins)(\/|$)/.test(p)) return "auth";
  if (/^\/audit-logs(\/|$)/.test(p)) return "audit";
  if (/^\/assets(\/|$)/.test(p) || /^\/titles\/[^/]+\/assets$/.test(p)) return "assets";
  if (/^\/delivery(\/|$)/.test(p)) return "delivery";
  if (/^\/(titles|episodes)(\/|$)/.test(p)) return "catalog";
  return "system";
}
