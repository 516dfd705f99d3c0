// Every admin route of this issue keeps the shared security contract.
import { checkAdminRouteSecurity } from "../../support/admin-route-security";

checkAdminRouteSecurity({ method: "GET", path: "/admin/auth/me" });
checkAdminRouteSecurity({ method: "POST", path: "/admin/auth/logout" });
checkAdminRouteSecurity({ method: "GET", path: "/admin/audit-logs" });
checkAdminRouteSecurity({ method: "GET", path: "/admin/admins", sessionOnly: true });
checkAdminRouteSecurity({
  method: "POST",
  path: "/admin/admins",
  body: () => ({ email: `sec-${crypto.randomUUID()}@moviesnow.test`, password: "a long enough password" }),
  sessionOnly: true,
});
checkAdminRouteSecurity({
  method: "PATCH",
  path: `/admin/admins/${crypto.randomUUID()}`,
  body: () => ({ disabled: true }),
  sessionOnly: true,
});

// Catalog and ingest.
const T = crypto.randomUUID();
const A = crypto.randomUUID();
checkAdminRouteSecurity({ method: "GET", path: "/admin/titles" });
checkAdminRouteSecurity({ method: "POST", path: "/admin/titles", body: () => ({ kind: "movie", name: `Sec ${crypto.randomUUID()}` }) });
checkAdminRouteSecurity({ method: "GET", path: `/admin/titles/${T}` });
checkAdminRouteSecurity({ method: "PATCH", path: `/admin/titles/${T}`, body: () => ({ name: "x" }) });
checkAdminRouteSecurity({ method: "DELETE", path: `/admin/titles/${T}` });
checkAdminRouteSecurity({ method: "POST", path: `/admin/titles/${T}/publish` });
checkAdminRouteSecurity({ method: "POST", path: `/admin/titles/${T}/unpublish` });
checkAdminRouteSecurity({ method: "POST", path: `/admin/titles/${T}/archive` });
checkAdminRouteSecurity({ method: "GET", path: `/admin/titles/${T}/validate-media` });
checkAdminRouteSecurity({ method: "POST", path: `/admin/titles/${T}/seasons`, body: () => ({ number: 1 }) });
checkAdminRouteSecurity({ method: "PATCH", path: `/admin/titles/${T}/seasons/1`, body: () => ({ name: "x" }) });
checkAdminRouteSecurity({ method: "DELETE", path: `/admin/titles/${T}/seasons/1` });
checkAdminRouteSecurity({ method: "POST", path: `/admin/titles/${T}/episodes`, body: () => ({ season_number: 1, episode_number: 1 }) });
checkAdminRouteSecurity({ method: "PATCH", path: `/admin/episodes/${A}`, body: () => ({ name: "x" }) });
checkAdminRouteSecurity({ method: "DELETE", path: `/admin/episodes/${A}` });
checkAdminRouteSecurity({
  method: "POST",
  path: `/admin/titles/${T}/assets`,
  body: () => ({ kind: "ORIGINAL", filename: "a.mkv", size_bytes: 1 }),
});
checkAdminRouteSecurity({ method: "GET", path: `/admin/titles/${T}/assets` });
checkAdminRouteSecurity({ method: "GET", path: `/admin/assets/${A}` });
checkAdminRouteSecurity({ method: "PATCH", path: `/admin/assets/${A}`, body: () => ({ label: "x" }) });
checkAdminRouteSecurity({ method: "DELETE", path: `/admin/assets/${A}` });
checkAdminRouteSecurity({ method: "POST", path: `/admin/assets/${A}/upload/parts`, body: () => ({ part_numbers: [1] }) });
checkAdminRouteSecurity({ method: "GET", path: `/admin/assets/${A}/upload/parts` });
checkAdminRouteSecurity({
  method: "POST",
  path: `/admin/assets/${A}/upload/complete`,
  body: () => ({ parts: [{ part_number: 1, etag: "x" }] }),
});
checkAdminRouteSecurity({ method: "DELETE", path: `/admin/assets/${A}/upload` });
checkAdminRouteSecurity({ method: "GET", path: `/admin/assets/${A}/head` });
checkAdminRouteSecurity({ method: "GET", path: `/admin/assets/${A}/files` });
checkAdminRouteSecurity({ method: "POST", path: `/admin/assets/${A}/files`, body: () => ({ paths: ["index.m3u8"] }) });
checkAdminRouteSecurity({ method: "POST", path: `/admin/assets/${A}/checksum` });
checkAdminRouteSecurity({
  method: "POST",
  path: `/admin/assets/${A}/finalize`,
  body: () => ({ size_bytes: 1, content_type: "video/mp4", sha256: "a".repeat(64) }),
});

// Delivery.
checkAdminRouteSecurity({
  method: "POST",
  path: "/admin/delivery/download-tokens/batch",
  body: () => ({ items: [{ storage_key: "originals/x" }], ttl_seconds: 600 }),
});

// Bundles.
const B = crypto.randomUUID();
checkAdminRouteSecurity({ method: "POST", path: `/admin/titles/${T}/bundles`, body: () => ({ season_number: 1 }) });
checkAdminRouteSecurity({ method: "GET", path: `/admin/titles/${T}/bundles` });
checkAdminRouteSecurity({ method: "GET", path: `/admin/bundles/${B}` });
checkAdminRouteSecurity({ method: "PATCH", path: `/admin/bundles/${B}`, body: () => ({ label: "x" }) });
checkAdminRouteSecurity({ method: "DELETE", path: `/admin/bundles/${B}` });
checkAdminRouteSecurity({ method: "POST", path: `/admin/bundles/${B}/finalize` });
checkAdminRouteSecurity({ method: "POST", path: `/admin/titles/${T}/rebuild-bundle?season_number=1` });
