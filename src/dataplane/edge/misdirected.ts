// Misdirected requests (RFC 9110 §15.5.20; Gateway API HTTPSListenerDetectMisdirectedRequests).
// A client may reuse a TLS connection for another host its certificate also covers (HTTP/2
// connection coalescing), and any client may send a Host unlike its SNI. When the name the TLS
// handshake was for (SNI) and the request's host are claimed by different hostnames of the
// listener (an HTTPS listener's certificate hostnames: exact, then the longest wildcard, then a
// certificate without hostnames for any name), the request is answered 421, so it cannot reach
// routes of a listener whose TLS settings the connection never went through. A name no
// hostname claims, and a connection without SNI, are routed as usual.
import type { Listener } from '../../table/types.js';

interface Claims {
  readonly exact: ReadonlySet<string>;
  /** ".example.com" suffixes of "*.example.com" hostnames. */
  readonly wildcard: ReadonlySet<string>;
  /** Some certificate has no hostname: it claims every name the others leave. */
  readonly any: boolean;
}

const compiled = new WeakMap<Listener, Claims>();

function claimsOf(l: Listener): Claims {
  let c = compiled.get(l);
  if (!c) {
    const exact = new Set<string>();
    const wildcard = new Set<string>();
    let any = false;
    for (const cert of l.tls?.certificates ?? []) {
      if (cert.hostnames.length === 0) any = true;
      for (const h of cert.hostnames) {
        const name = h.toLowerCase();
        if (name.startsWith('*.')) wildcard.add(name.slice(1));
        else exact.add(name);
      }
    }
    compiled.set(l, (c = { exact, wildcard, any }));
  }
  return c;
}

/** The hostname of the listener that claims `name` (lower case, no port); undefined: none. */
function claim(c: Claims, name: string): string | undefined {
  if (c.exact.has(name)) return name;
  for (let dot = name.indexOf('.'); dot !== -1 && dot < name.length - 1; dot = name.indexOf('.', dot + 1)) {
    const suffix = name.slice(dot);
    if (c.wildcard.has(suffix)) return `*${suffix}`;
  }
  return c.any ? '' : undefined;
}

/** Whether a request for `host` on a connection whose SNI was `sni` belongs to another listener hostname. */
export function isMisdirected(l: Listener, sni: string | undefined, host: string): boolean {
  if (sni === undefined || host === '') return false;
  const colon = host.lastIndexOf(':');
  const bare = (colon === -1 || host.endsWith(']') ? host : host.slice(0, colon)).toLowerCase();
  const server = sni.toLowerCase();
  if (bare === server) return false;
  const c = claimsOf(l);
  const forHost = claim(c, bare);
  const forSni = claim(c, server);
  return forHost !== undefined && forSni !== undefined && forHost !== forSni;
}
