import { describe, expect, it } from '@jest/globals';
import { assignPoolAddresses, parseAddressPool, type AddressPool } from '../../../src/translate/gateway/address-pool.js';

function pool(text: string): AddressPool {
  const p = parseAddressPool(text);
  if (typeof p === 'string') throw new Error(p);
  return p;
}

describe('gateway address pool', () => {
  it('excludes the network and broadcast addresses of a /24, not of a /31', () => {
    const p = pool('10.99.0.0/24');
    expect([p.size, p.at(0), p.at(p.size - 1)]).toEqual([254, '10.99.0.1', '10.99.0.254']);
    const q = pool('10.99.0.7/31');
    expect([q.size, q.at(0), q.at(1)]).toEqual([2, '10.99.0.6', '10.99.0.7']);
  });

  it('refuses IPv6 and non-addresses', () => {
    expect(parseAddressPool('fd00::/64')).toBe('only IPv4 ranges are supported');
    expect(parseAddressPool('nope/24')).toBe('not an address');
  });

  it('gives every Gateway a different address, the same one whatever else exists', () => {
    const p = pool('10.99.0.0/24');
    const a = { key: 'infra/a', age: '1' };
    const b = { key: 'infra/b', age: '2' };
    const c = { key: 'apps/c', age: '3' };
    const all = assignPoolAddresses([c, b, a], p);
    expect(new Set(all.values()).size).toBe(3);
    expect(assignPoolAddresses([a], p).get('infra/a')).toBe(all.get('infra/a'));
    expect(assignPoolAddresses([c, a], p).get('apps/c')).toBe(all.get('apps/c'));
  });

  it('resolves collisions oldest first and stops when the pool is full', () => {
    const p = pool('10.99.0.0/30'); // two usable addresses
    const got = assignPoolAddresses([{ key: 'x/young', age: '2' }, { key: 'x/old', age: '1' }, { key: 'x/youngest', age: '3' }], p);
    expect(got.size).toBe(2);
    expect(got.has('x/youngest')).toBe(false);
    expect(new Set(got.values())).toEqual(new Set(['10.99.0.1', '10.99.0.2']));
  });
});
