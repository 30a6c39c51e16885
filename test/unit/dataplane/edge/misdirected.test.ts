import { describe, expect, it } from '@jest/globals';
import { isMisdirected } from '../../../../src/dataplane/edge/misdirected.js';
import type { Listener, TlsCertificate } from '../../../../src/table/types.js';

function cert(...hostnames: string[]): TlsCertificate {
  return { secret: { kind: 'Secret', namespace: 'ns', name: hostnames.join('-') || 'any' }, hostnames, certPem: '', keyPem: '' };
}

function listener(...certs: TlsCertificate[]): Listener {
  return { name: 'l', protocol: 'HTTPS', port: 443, virtualHosts: [], tls: { certificates: certs } };
}

describe('isMisdirected (the listener hostnames the SNI and the host fall under)', () => {
  // The conformance topology: a catch-all listener, an exact one, a wildcard and an exact name under it.
  const l = listener(cert(), cert('second-example.org'), cert('*.wildcard.org'), cert('fourth-example.wildcard.org'));

  it('lets a request through when SNI and host fall under the same hostname', () => {
    expect(isMisdirected(l, 'second-example.org', 'second-example.org')).toBe(false);
    expect(isMisdirected(l, 'second-example.org', 'SECOND-example.org:443')).toBe(false);
    expect(isMisdirected(l, 'third.wildcard.org', 'other.wildcard.org')).toBe(false);
    expect(isMisdirected(l, 'example.com', 'unknown.example.net')).toBe(false);
  });

  it('refuses a host that another listener hostname claims', () => {
    expect(isMisdirected(l, 'second-example.org', 'third.wildcard.org')).toBe(true);
    expect(isMisdirected(l, 'third.wildcard.org', 'fourth-example.wildcard.org')).toBe(true);
    expect(isMisdirected(l, 'example.com', 'second-example.org')).toBe(true);
    expect(isMisdirected(l, 'second-example.org', 'example.com')).toBe(true);
  });

  it('checks nothing without SNI, without a host, or for names no hostname claims', () => {
    expect(isMisdirected(l, undefined, 'second-example.org')).toBe(false);
    expect(isMisdirected(l, 'second-example.org', '')).toBe(false);
    const noCatchAll = listener(cert('a.example.com'));
    expect(isMisdirected(noCatchAll, 'a.example.com', 'b.example.com')).toBe(false);
  });
});
