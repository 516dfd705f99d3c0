// Worker entry: the Hono app for fetch, and the Durable Object classes.
import { createApp } from "./http/app";

export { BundleJobContainer } from "./features/bundles/bundle-job-container";
export { SeasonBundle } from "./features/bundles/season-bundle";

const app = createApp();

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<CloudflareBindings>;
