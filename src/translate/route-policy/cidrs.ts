// CIDRs as a policy writes them → canonical form: the network address (host bits cleared) and
// the prefix length, a bare address as a /32 or /128. "10.1.2.3/8" becomes "10.0.0.0/8" — what the
// range means, and one spelling for /debug/routes and equal-table checks.
import { parseCidr } from '../../util/cidr.js';

/** The canonical CIDR, or why `text` is not one. */
export function canonicalCidr(text: string): { cidr: string } | { problem: string } {
  if (text.includes('%')) return { problem: 'is not a CIDR (zone indexes are not allowed)' };
  const c = parseCidr(text);
  if (typeof c === 'string') return { problem: `is not a CIDR (${c})` };
  if (c.family === 'ipv4') {
    const bits = c.bits ?? 32;
    const n = c.address.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
    const masked = bits === 0 ? 0 : Number((BigInt(n) >> BigInt(32 - bits)) << BigInt(32 - bits));
    return { cidr: `${[24, 16, 8, 0].map((s) => (masked >>> s) & 255).join('.')}/${bits}` };
  }
  const bits = c.bits ?? 128;
  const value = ipv6Value(c.address);
  const mask = bits === 0 ? 0n : ((1n << BigInt(bits)) - 1n) << BigInt(128 - bits);
  return { cidr: `${formatIpv6(value & mask)}/${bits}` };
}

/** Reads a CIDR field through `read` (a Fields.string call): the canonical CIDR, or undefined (reported). */
export function readCidr(read: (check: (s: string) => string | undefined) => string | undefined): string | undefined {
  let cidr: string | undefined;
  read((s) => {
    const c = canonicalCidr(s);
    if ('problem' in c) return c.problem;
    cidr = c.cidr;
    return undefined;
  });
  return cidr;
}

function ipv6Value(address: string): bigint {
  let text = address.toLowerCase();
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? (text.split('::') as [string, string]) : [text, undefined];
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

/** RFC 5952 text: lower-case, no leading zeros, the longest run of ≥ 2 zero groups as "::". */
function formatIpv6(value: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
  let best = { start: -1, length: 0 };
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.length && j - i >= 2) best = { start: i, length: j - i };
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.start === -1) return hex.join(':');
  return `${hex.slice(0, best.start).join(':')}::${hex.slice(best.start + best.length).join(':')}`;
}
