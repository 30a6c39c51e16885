// Who the client is. The TCP peer (or the address a PROXY protocol header carried) is the
// client unless that peer is a trusted proxy (--trusted-proxies); then the client is taken from
// X-Forwarded-For: the N-th entry from the right with --trusted-hops N, else the right-most
// entry that is not itself a trusted proxy. Only a trusted peer's X-Forwarded-Proto/-Host/-Port
// and Forwarded headers are believed and passed on.
import { isIP } from 'node:net';

export interface ClientTrust {
  /** Whether an address belongs to a proxy whose forwarding headers are believed. */
  isTrusted(address: string): boolean;
  /** 0: right-most untrusted X-Forwarded-For entry; N: the N-th entry from the right. */
  readonly hops: number;
}

export interface ClientIdentity {
  /** The client address: for X-Real-IP, logs and (later) rate limits and IP lists. */
  readonly address: string;
  /** The TCP peer (or PROXY protocol source): what Sluice appends to X-Forwarded-For. */
  readonly peer: string;
  /** The peer is a trusted proxy: its X-Forwarded-* and Forwarded headers are kept. */
  readonly trustedPeer: boolean;
}

/** "1.2.3.4", "1.2.3.4:80", "[::1]:80", "::1" → the bare address, or undefined when not an IP. */
function entryAddress(entry: string): string | undefined {
  let text = entry.trim();
  if (text.charCodeAt(0) === 91 /* [ */) {
    const close = text.indexOf(']');
    text = close === -1 ? '' : text.slice(1, close);
  } else if (text.indexOf(':') !== text.lastIndexOf(':') || text.indexOf(':') === -1) {
    // IPv6 without brackets (several colons), or IPv4 without a port: as is.
  } else {
    text = text.slice(0, text.indexOf(':'));
  }
  return isIP(text) === 0 ? undefined : text;
}

export function identifyClient(peer: string, forwardedFor: string | undefined, trust: ClientTrust | undefined): ClientIdentity {
  if (!trust || !trust.isTrusted(peer)) return { address: peer, peer, trustedPeer: false };
  if (!forwardedFor) return { address: peer, peer, trustedPeer: true };
  const entries = forwardedFor.split(',');
  if (trust.hops > 0) {
    // Fewer entries than hops: the chain in front is not what was configured; fall back to the peer.
    const entry = entries.length >= trust.hops ? entryAddress(entries[entries.length - trust.hops]!) : undefined;
    return { address: entry ?? peer, peer, trustedPeer: true };
  }
  let client = peer;
  for (let i = entries.length - 1; i >= 0; i--) {
    const address = entryAddress(entries[i]!);
    // An entry that is not an address ends the trusted chain: the last trusted hop is the client.
    if (address === undefined) break;
    client = address;
    if (!trust.isTrusted(address)) break;
  }
  return { address: client, peer, trustedPeer: true };
}
