// The request-header work every Node peer of the proxies bench does, so the peers pay what Sluice
// pays per request (src/dataplane/headers.ts, "What a request gets" in the README): hop-by-hop
// headers dropped both ways, Host passed as the client sent it, X-Forwarded-For appended to,
// X-Forwarded-Proto/-Host/-Port and X-Real-IP set, X-Request-Id generated when the client sent none.
import { randomUUID } from 'node:crypto';

export const HOP_BY_HOP: ReadonlySet<string> = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'http2-settings']);

/** Sluice's own X-Forwarded-* set for a request from an untrusted peer: name, value, name, value … */
export function forwardedPairs(peer: string, clientXff: string | undefined, host: string, port: number, requestId: string | undefined): string[] {
  const out = ['x-forwarded-for', clientXff === undefined ? peer : `${clientXff}, ${peer}`, 'x-forwarded-proto', 'http', 'x-forwarded-host', host, 'x-forwarded-port', String(port), 'x-real-ip', peer];
  if (requestId === undefined) out.push('x-request-id', randomUUID());
  return out;
}

/** Removes hop-by-hop headers from a response header object, in place. */
export function stripHopByHop(headers: Record<string, unknown>): void {
  for (const name of HOP_BY_HOP) delete headers[name];
}
