// Worker entry: the Hono app for fetch, and the Durable Object classes.
import { createApp } from "./app";

export { BundleJobContainer } from "./durable/bundle-job-container";
export { SeasonBundle } from "./durable/season-bundle";

const app = createApp();

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<CloudflareBindings>;
