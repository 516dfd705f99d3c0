// What the Worker bundle gets for zod's locale index (see `[alias]` in wrangler.toml): problem
// details are in English only, and zod's other ~40 locales were a quarter of the bundle.
export { default as en } from "zod/v4/locales/en.js";
