// The typed API client: openapi-fetch over the types generated from the OpenAPI document
// (api.d.ts, `npm run client:generate`). Paths, parameters, bodies and answers are checked by
// TypeScript against what the Worker serves. The CLI and the tests use it; so can anyone.
import createClient, { type Client, type ClientOptions } from "openapi-fetch";
import type { components, paths } from "./api";

export type { components, operations, paths } from "./api";
export type ApiClient = Client<paths>;
/** The API's named schemas: `Schemas["Title"]`, `Schemas["MediaAsset"]`, … */
export type Schemas = components["schemas"];

/**
 * A client for the API at `base`: its origin, or the `…/api/v1` URL the CLI takes (paths in the
 * document carry /api/v1 themselves).
 */
export function createApiClient(base: string, options: Omit<ClientOptions, "baseUrl"> = {}): ApiClient {
  return createClient<paths>({ ...options, baseUrl: base.replace(/\/+$/, "").replace(/\/api\/v1$/, "") });
}
