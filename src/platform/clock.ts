// Time behind an interface so tests can move it (cooldowns, token expiry, presign expiry).
export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };
