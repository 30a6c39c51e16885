// A string hash that every Sluice process computes the same way, so consistent hashing picks the
// same endpoint for the same key in every worker and replica: MurmurHash3 (x86, 32-bit) over the
// string's UTF-8 bytes, written here from the published algorithm. Its output equals other
// implementations' murmur3_32 of the UTF-8 encoding (the unit test checks reference values).
// The bytes are produced on the fly from char codes: no Buffer, no allocation per call.

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/** Seed of the hash that places a Maglev endpoint's permutation (offset); the default seed 0 is the request key's. */
export const MAGLEV_OFFSET_SEED = 0x9e3779b9;
/** Seed of the second, independent hash of a Maglev endpoint key (the permutation's step). */
export const MAGLEV_SKIP_SEED = 0x85ebca77;

/** Unsigned 32-bit MurmurHash3 of the UTF-8 encoding of `s` (lone surrogates encode as U+FFFD, as TextEncoder does). */
export function stableHash(s: string, seed = 0): number {
  let h = seed | 0;
  let block = 0; // bytes of the current 4-byte block, little-endian
  let shift = 0; // bits already in `block`
  let length = 0; // UTF-8 bytes so far
  const n = s.length;
  for (let i = 0; i < n; i++) {
    // Fast path: four ASCII characters make a whole block.
    if (shift === 0 && i + 4 <= n) {
      const a = s.charCodeAt(i);
      const b = s.charCodeAt(i + 1);
      const c = s.charCodeAt(i + 2);
      const d = s.charCodeAt(i + 3);
      if ((a | b | c | d) < 0x80) {
        h = mixBlock(h, a | (b << 8) | (c << 16) | (d << 24));
        length += 4;
        i += 3;
        continue;
      }
    }
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      block |= c << shift;
      shift += 8;
      length++;
      if (shift === 32) {
        h = mixBlock(h, block);
        block = 0;
        shift = 0;
      }
      continue;
    }
    // Encode the code point as 2-4 bytes into `bytes` (first byte lowest), then feed them.
    let bytes: number;
    let count: number;
    if (c < 0x800) {
      bytes = (0xc0 | (c >> 6)) | ((0x80 | (c & 0x3f)) << 8);
      count = 2;
    } else {
      if (c >= 0xd800 && c <= 0xdfff) {
        const low = i + 1 < n ? s.charCodeAt(i + 1) : 0;
        if (c <= 0xdbff && low >= 0xdc00 && low <= 0xdfff) {
          i++;
          c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
        } else {
          c = 0xfffd;
        }
      }
      if (c < 0x10000) {
        bytes = (0xe0 | (c >> 12)) | ((0x80 | ((c >> 6) & 0x3f)) << 8) | ((0x80 | (c & 0x3f)) << 16);
        count = 3;
      } else {
        bytes = (0xf0 | (c >> 18)) | ((0x80 | ((c >> 12) & 0x3f)) << 8) | ((0x80 | ((c >> 6) & 0x3f)) << 16) | ((0x80 | (c & 0x3f)) << 24);
        count = 4;
      }
    }
    for (let b = 0; b < count; b++) {
      block |= ((bytes >>> (b * 8)) & 0xff) << shift;
      shift += 8;
      if (shift === 32) {
        h = mixBlock(h, block);
        block = 0;
        shift = 0;
      }
    }
    length += count;
  }
  if (shift > 0) {
    let k = Math.imul(block, C1);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, C2);
  }
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function mixBlock(h: number, block: number): number {
  let k = Math.imul(block, C1);
  k = (k << 15) | (k >>> 17);
  h ^= Math.imul(k, C2);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}
