export * from "./admin-users";
export * from "./audit-logs";
export * from "./bundles";
export * from "./enums";
export * from "./episodes";
export * from "./media-assets";
export * from "./seasons";
export * from "./titles";
