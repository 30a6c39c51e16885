// --gateway-address-pool: an IPv4 range from which every Gateway that names no spec.addresses
// gets an address of its own. Without it such Gateways share the bind address, so only one of
// them can own a port (see gateways.ts). The address is derived from the Gateway's
// namespace/name (FNV-1a, then the next free one on a collision, oldest Gateway first), so it
// stays the same across rebuilds and restarts and does not move when other Gateways come and
// go, unless a collision put it elsewhere.
import { parseCidr } from '../../util/cidr.js';

export interface AddressPool {
  /** Usable host addresses in the range (network and broadcast excluded for /30 and wider). */
  readonly size: number;
  /** The i-th usable address, 0 ≤ i < size. */
  at(i: number): string;
}

/** The pool `text` (an IPv4 CIDR) names, or why it names none. */
export function parseAddressPool(text: string): AddressPool | string {
  const cidr = parseCidr(text);
  if (typeof cidr === 'string') return cidr;
  if (cidr.family !== 'ipv4') return 'only IPv4 ranges are supported';
  const bits = cidr.bits ?? 32;
  const hostBits = 32 - bits;
  const mask = hostBits === 32 ? 0 : (0xffffffff << hostBits) >>> 0;
  const network = (toUint32(cidr.address) & mask) >>> 0;
  const edges = hostBits >= 2 ? 1 : 0;
  const size = 2 ** hostBits - 2 * edges;
  return { size, at: (i) => fromUint32(network + edges + i) };
}

export interface PoolClaimant {
  /** "namespace/name". */
  readonly key: string;
  /** Claim order on a collision: oldest first (see gatewayAge in gateways.ts). */
  readonly age: string;
}

/** Gateway key → its pool address. Gateways beyond the pool's size get none. */
export function assignPoolAddresses(claimants: readonly PoolClaimant[], pool: AddressPool): Map<string, string> {
  const out = new Map<string, string>();
  const taken = new Set<number>();
  const ordered = [...claimants].sort((a, b) => (a.age < b.age ? -1 : a.age > b.age ? 1 : 0));
  for (const c of ordered) {
    if (taken.size >= pool.size) break;
    let i = fnv1a(c.key) % pool.size;
    while (taken.has(i)) i = (i + 1) % pool.size;
    taken.add(i);
    out.set(c.key, pool.at(i));
  }
  return out;
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

function toUint32(address: string): number {
  return address.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

function fromUint32(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}
