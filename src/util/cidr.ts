// "10.0.0.0/8", "fd00::/8" or a bare address, read once: --trusted-proxies validates with it at
// the edge, and the trusted-address matcher builds its BlockList from the same reading.
import { isIP } from 'node:net';

export interface Cidr {
  readonly address: string;
  readonly family: 'ipv4' | 'ipv6';
  /** Prefix length; undefined for a bare address (one host). */
  readonly bits: number | undefined;
}

/** The address range `text` names, or why it names none. */
export function parseCidr(text: string): Cidr | 'not an address' | 'invalid prefix length' {
  const slash = text.indexOf('/');
  const address = slash === -1 ? text : text.slice(0, slash);
  const version = isIP(address);
  if (version === 0) return 'not an address';
  const family = version === 4 ? 'ipv4' : 'ipv6';
  if (slash === -1) return { address, family, bits: undefined };
  const bits = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bits) || Number(bits) > (version === 4 ? 32 : 128)) return 'invalid prefix length';
  return { address, family, bits: Number(bits) };
}
