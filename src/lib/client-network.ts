// The unit a per-client limit counts: an IPv4 address, or an IPv6 /64. One IPv6 subscriber is
// handed a whole /64 (often more), so keying by full address would let a client rotate through
// 2^64 addresses and never be limited.

/** The client's network for limits: IPv4 as is, IPv6 as its /64 ("2001:db8:1:2::/64"); null stays "unknown". */
export function clientNetwork(ip: string | null | undefined): string {
  if (!ip) return "unknown";
  const addr = ip.trim().toLowerCase();
  if (!addr.includes(":")) return addr;
  // An IPv4-mapped IPv6 address is that IPv4 client.
  const mapped = addr.match(/^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/);
  if (mapped?.[1]) return mapped[1];
  const [head = "", tail] = addr.split("%")[0]?.split("::") ?? [];
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const missing = tail === undefined ? 0 : 8 - left.length - right.length;
  const groups = [...left, ...Array(Math.max(0, missing)).fill("0"), ...right];
  if (groups.length !== 8 || groups.some((g) => !/^[0-9a-f]{1,4}$/.test(g))) return `invalid:${addr}`;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ""))
    .join(":")}::/64`;
}
