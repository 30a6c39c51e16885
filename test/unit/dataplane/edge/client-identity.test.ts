import { describe, expect, it } from '@jest/globals';
import { identifyClient } from '../../../../src/dataplane/edge/client-identity.js';

const proxies = new Set(['10.0.0.1', '10.0.0.2', '10.0.0.3']);
const trust = { isTrusted: (a: string) => proxies.has(a), hops: 0 };

describe('identifyClient', () => {
  it('takes the peer when no proxy is trusted, whatever X-Forwarded-For says', () => {
    expect(identifyClient('192.0.2.9', '203.0.113.5', undefined)).toEqual({ address: '192.0.2.9', peer: '192.0.2.9', trustedPeer: false });
    expect(identifyClient('192.0.2.9', '203.0.113.5', trust)).toEqual({ address: '192.0.2.9', peer: '192.0.2.9', trustedPeer: false });
  });

  it('takes the right-most untrusted X-Forwarded-For entry behind a trusted peer', () => {
    // The spoofed left-most entry is never believed.
    expect(identifyClient('10.0.0.1', '6.6.6.6, 203.0.113.5, 10.0.0.3, 10.0.0.2', trust).address).toBe('203.0.113.5');
    expect(identifyClient('10.0.0.1', '203.0.113.5:5555', trust).address).toBe('203.0.113.5');
    expect(identifyClient('10.0.0.1', '[2001:db8::7]:443', trust).address).toBe('2001:db8::7');
    expect(identifyClient('10.0.0.1', undefined, trust)).toEqual({ address: '10.0.0.1', peer: '10.0.0.1', trustedPeer: true });
  });

  it('stops at an entry that is not an address', () => {
    expect(identifyClient('10.0.0.1', 'unknown, 10.0.0.2', trust).address).toBe('10.0.0.2');
    expect(identifyClient('10.0.0.1', 'garbage', trust).address).toBe('10.0.0.1');
  });

  it('counts entries from the right with --trusted-hops', () => {
    const hops = { ...trust, hops: 2 };
    expect(identifyClient('10.0.0.1', '6.6.6.6, 203.0.113.5, 198.51.100.1', hops).address).toBe('203.0.113.5');
    expect(identifyClient('10.0.0.1', '198.51.100.1', hops).address).toBe('10.0.0.1');
  });
});
