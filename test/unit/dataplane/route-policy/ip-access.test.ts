// IP access lists: deny wins, an empty allow list admits everyone not denied, IPv6 and
// IPv4-mapped addresses, and garbage that is not an address.
import { describe, expect, it } from '@jest/globals';
import { ipAccessMatcher } from '../../../../src/dataplane/route-policy/ip-access.js';

describe('ip access', () => {
  it('admits the allowed ranges except the denied ones', () => {
    const admits = ipAccessMatcher({ allow: ['10.0.0.0/8', 'fd00::/8'], deny: ['10.9.0.0/16', '10.1.2.3'] });
    expect(admits('10.1.1.1')).toBe(true);
    expect(admits('10.9.1.1')).toBe(false);
    expect(admits('10.1.2.3')).toBe(false);
    expect(admits('10.1.2.4')).toBe(true);
    expect(admits('192.168.1.1')).toBe(false);
    expect(admits('fd12::1')).toBe(true);
    expect(admits('2001:db8::1')).toBe(false);
    expect(admits('::ffff:10.1.1.1')).toBe(true);
    expect(admits('::ffff:10.9.0.1')).toBe(false);
    expect(admits('not-an-ip')).toBe(false);
  });

  it('with no allow list, admits everyone not denied', () => {
    const admits = ipAccessMatcher({ allow: [], deny: ['192.0.2.0/24'] });
    expect(admits('198.51.100.1')).toBe(true);
    expect(admits('192.0.2.77')).toBe(false);
  });

  it('refuses to build from something that is not a CIDR', () => {
    expect(() => ipAccessMatcher({ allow: ['10.0.0.0/33'], deny: [] })).toThrow();
  });
});
