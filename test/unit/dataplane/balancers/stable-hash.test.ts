import { describe, expect, it } from '@jest/globals';
import { stableHash } from '../../../../src/dataplane/balancer/stable-hash.js';

/** A plain MurmurHash3 x86_32 over bytes, to check the on-the-fly UTF-8 encoding against Buffer's. */
function murmurBytes(bytes: Uint8Array, seed: number): number {
  let h = seed | 0;
  const blocks = bytes.length >> 2;
  const mix = (k: number) => {
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    return Math.imul(k, 0x1b873593);
  };
  for (let b = 0; b < blocks; b++) {
    const k = bytes[4 * b]! | (bytes[4 * b + 1]! << 8) | (bytes[4 * b + 2]! << 16) | (bytes[4 * b + 3]! << 24);
    h ^= mix(k);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let tail = 0;
  for (let i = bytes.length - 1; i >= blocks * 4; i--) tail = (tail << 8) | bytes[i]!;
  if (bytes.length & 3) h ^= mix(tail);
  h ^= bytes.length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

describe('stableHash', () => {
  it('equals the reference MurmurHash3 x86_32 of the UTF-8 bytes (values from the mmh3 Python package)', () => {
    const reference: [string, number, number][] = [
      ['', 0, 0],
      ['', 1, 1364076727],
      ['hello', 0, 613153351],
      ['abc', 0, 3017643002],
      ['abcde', 0, 3902511862],
      ['abcdef', 0, 1635893381],
      ['abcdefg', 0, 2285673222],
      ['abcd', 0x9747b28c, 4031219239],
      ['Hello, world!', 0x9747b28c, 612912314],
      ['The quick brown fox jumps over the lazy dog', 0, 776992547],
      ['10.0.0.1:8080', 0, 2741077564],
      ['é', 0, 269551495],
      ['日本語', 7, 1862132248],
      ['😀x', 0, 1914495294],
    ];
    for (const [s, seed, expected] of reference) expect([s, seed, stableHash(s, seed)]).toEqual([s, seed, expected]);
  });

  it('encodes every kind of character as UTF-8 does, lone surrogates as U+FFFD', () => {
    const samples = ['a', 'ß', 'ab€', 'abc€d', '\u{10348}', 'x\u{1F600}yz', '\ud800', 'a\udc00b', '\ud83d', 'Zürich/東京/🚀/ok', '\u07ff\u0800\uffff'];
    for (const s of samples) {
      for (const seed of [0, 42]) expect([s, stableHash(s, seed)]).toEqual([s, murmurBytes(new TextEncoder().encode(s), seed)]);
    }
  });

  it('is an unsigned 32-bit integer that depends on the seed', () => {
    const h = stableHash('user-42');
    expect(Number.isInteger(h) && h >= 0 && h < 2 ** 32).toBe(true);
    expect(stableHash('user-42', 1)).not.toBe(h);
  });

  it('spreads similar keys evenly over buckets', () => {
    const buckets = new Array<number>(16).fill(0);
    for (let i = 0; i < 160_000; i++) buckets[stableHash(`10.1.${i >> 8}.${i & 255}`) % 16]!++;
    for (const b of buckets) expect(Math.abs(b - 10_000)).toBeLessThan(500);
  });
});
