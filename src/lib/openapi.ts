// Shared OpenAPI fragments: error responses and the admin security requirement.
import { PROBLEM_CONTENT_TYPE, problemSchema } from "./problem";

export const problemResponse = (description: string) => ({
  description,
  content: { [PROBLEM_CONTENT_TYPE]: { schema: problemSchema } },
});

/** Either a session token from /admin/auth/mfa or, when enabled, X-Admin-Key. */
export const ADMIN_SECURITY: Record<string, string[]>[] = [{ adminSession: [] }, { adminKey: [] }];

export const adminErrorResponses = {
  401: problemResponse("No, invalid, expired or revoked credentials"),
  403: problemResponse("The admin account is disabled"),
  429: problemResponse("Rate limited; see Retry-After"),
};

export const mutationErrorResponses = {
  ...adminErrorResponses,
  409: problemResponse("A request with the same Idempotency-Key is still running, or a conflicting change"),
  422: problemResponse("The Idempotency-Key was used with a different request"),
};
