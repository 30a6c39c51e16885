import { describe, expect, it } from '@jest/globals';
import { createTrustedMatcher } from '../../../src/dataplane/edge/trusted.js';

describe('createTrustedMatcher', () => {
  const trusted = createTrustedMatcher(['10.0.0.0/8', '192.0.2.7', 'fd00::/8', '2001:db8::1', '::ffff:198.51.100.0/120']);

  it('matches IPv4 subnets and single addresses', () => {
    expect(trusted('10.0.0.0')).toBe(true);
    expect(trusted('10.255.255.255')).toBe(true);
    expect(trusted('11.0.0.0')).toBe(false);
    expect(trusted('192.0.2.7')).toBe(true);
    expect(trusted('192.0.2.8')).toBe(false);
  });

  it('matches IPv6 subnets and single addresses', () => {
    expect(trusted('fd12:3456::1')).toBe(true);
    expect(trusted('fe00::1')).toBe(false);
    expect(trusted('2001:db8::1')).toBe(true);
    expect(trusted('2001:0db8:0000:0000:0000:0000:0000:0001')).toBe(true);
    expect(trusted('2001:db8::2')).toBe(false);
    // A link-local peer's remoteAddress carries its zone; the zone does not change the address.
    expect(trusted('fd00::1%eth0')).toBe(true);
  });

  it('matches IPv4-mapped IPv6 (a dual-stack socket’s remoteAddress) against IPv4 ranges, and back', () => {
    expect(trusted('::ffff:10.1.2.3')).toBe(true);
    expect(trusted('::ffff:a01:203')).toBe(true);
    expect(trusted('::ffff:192.0.2.7')).toBe(true);
    expect(trusted('::ffff:11.1.2.3')).toBe(false);
    // An IPv4-mapped range in the list covers the plain IPv4 address too.
    expect(trusted('198.51.100.9')).toBe(true);
    expect(trusted('198.51.101.9')).toBe(false);
  });

  it('trusts nothing that is not an IP literal', () => {
    for (const junk of ['', 'unknown', '10.0.0.1:8080', '[fd00::1]', '010.0.0.1', ' 10.0.0.1', '10.0.0.1 ', `10.0.0.1${' '.repeat(50)}`, '_hidden']) {
      expect({ junk, trusted: trusted(junk) }).toEqual({ junk, trusted: false });
    }
  });

  it('keeps answering correctly past its cache size', () => {
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 3000; i++) {
        const inside = `10.${(i >> 8) & 255}.${i & 255}.1`;
        const outside = `172.16.${(i >> 8) & 255}.${i & 255}`;
        if (!trusted(inside) || trusted(outside)) throw new Error(`wrong answer for ${inside} or ${outside} in round ${round}`);
      }
    }
  });

  it('trusts nobody with an empty list', () => {
    const none = createTrustedMatcher([]);
    expect(none('10.0.0.1')).toBe(false);
    expect(none('::1')).toBe(false);
  });

  it('rejects invalid ranges up front', () => {
    expect(() => createTrustedMatcher(['10.0.0.0/33'])).toThrow(/prefix length/);
    expect(() => createTrustedMatcher(['fd00::/129'])).toThrow(/prefix length/);
    expect(() => createTrustedMatcher(['10.0.0.0/'])).toThrow(/prefix length/);
    expect(() => createTrustedMatcher(['example.com'])).toThrow(/not an address/);
  });
});
