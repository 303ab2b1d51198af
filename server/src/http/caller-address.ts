// The caller's address, for per-address caps and logs. Behind a balancer every connection comes from the
// balancer, so its X-Forwarded-For is believed, but only from the proxies the operator names (--trusted-proxies):
// anyone else could write the header to slip past per-address caps. The list is read from the right (the
// nearest hop) and the first address that is not a trusted proxy is the caller.
import type { IncomingMessage } from 'node:http';

/** ::ffff:127.0.0.1 and 127.0.0.1 are one address. */
function plain(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

export function callerAddress(req: IncomingMessage, trustedProxies: readonly string[] | undefined): string {
  const peer = plain(req.socket.remoteAddress ?? 'unknown');
  if (trustedProxies === undefined || !trustedProxies.includes(peer)) return peer;
  const header = req.headers['x-forwarded-for'];
  const hops = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',').map((h) => plain(h.trim())).filter((h) => h.length > 0);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i];
    if (hop !== undefined && !trustedProxies.includes(hop)) return hop;
  }
  return peer;
}
