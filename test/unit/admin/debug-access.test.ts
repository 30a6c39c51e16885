import { describe, expect, it } from '@jest/globals';
import { isLoopback } from '../../../src/admin/debug-access.js';

describe('isLoopback', () => {
  it('accepts 127.0.0.0/8, ::1 and IPv4-mapped 127.x', () => {
    for (const a of ['127.0.0.1', '127.255.0.9', '::1', '::ffff:127.0.0.1', '::ffff:127.3.2.1']) expect([a, isLoopback(a)]).toEqual([a, true]);
  });

  it('rejects every other address, and an unknown peer', () => {
    for (const a of ['10.77.0.1', '192.0.2.2', '::ffff:10.0.0.1', 'fd00::2', '1270::1', '::', '0.0.0.0', '128.0.0.1']) expect([a, isLoopback(a)]).toEqual([a, false]);
    expect(isLoopback(undefined)).toBe(false);
  });
});
