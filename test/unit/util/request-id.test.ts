// Generated X-Request-Id values must be version-4 UUIDs like crypto.randomUUID()'s, distinct
// across the refills of the random block they are drawn from.
import { describe, expect, it } from '@jest/globals';
import { randomRequestId } from '../../../src/util/request-id.js';

const V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('randomRequestId', () => {
  it('gives distinct version-4 UUIDs across several random blocks', () => {
    const seen = new Set<string>();
    // 256 ids a block: this crosses about 40 refills.
    for (let i = 0; i < 10_000; i++) {
      const id = randomRequestId();
      expect(id).toMatch(V4);
      seen.add(id);
    }
    expect(seen.size).toBe(10_000);
  });

  it('uses every hex digit in the random positions', () => {
    const digits = new Set<string>();
    for (let i = 0; i < 200; i++) for (const ch of randomRequestId().replace(/-/g, '')) digits.add(ch);
    expect([...digits].sort().join('')).toBe('0123456789abcdef');
  });
});
