// Every admin route of this issue keeps the shared security contract.
import { checkAdminRouteSecurity } from "../../support/admin-route-security";

checkAdminRouteSecurity({ method: "GET", path: "/admin/auth/me" });
checkAdminRouteSecurity({ method: "POST", path: "/admin/auth/logout" });
checkAdminRouteSecurity({ method: "GET", path: "/admin/audit-logs" });
checkAdminRouteSecurity({ method: "GET", path: "/admin/admins" });
checkAdminRouteSecurity({
  method: "POST",
  path: "/admin/admins",
  body: () => ({ email: `sec-${crypto.randomUUID()}@moviesnow.test`, password: "a long enough password" }),
});
checkAdminRouteSecurity({ method: "PATCH", path: `/admin/admins/${crypto.randomUUID()}`, body: () => ({ disabled: true }) });
