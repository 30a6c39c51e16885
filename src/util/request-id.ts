// X-Request-Id values: random (version 4) UUIDs, one per request that came without an id.
// crypto.randomUUID() builds its string from twenty concatenated pieces (≈ 650 bytes of garbage a
// request); this writes the 36 ASCII characters into a reused buffer and makes one flat string,
// with the random bytes drawn in blocks from the same CSPRNG.
import { randomFillSync } from 'node:crypto';

const BLOCK = 16 * 256;
const random = Buffer.alloc(BLOCK);
let offset = BLOCK;
const text = Buffer.alloc(36);
/** ASCII codes of the two hex digits of every byte value. */
const HEX = new Uint8Array(512);
for (let i = 0; i < 256; i++) {
  const h = i.toString(16).padStart(2, '0');
  HEX[2 * i] = h.charCodeAt(0);
  HEX[2 * i + 1] = h.charCodeAt(1);
}
/** Where each of the 16 bytes goes in xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx. */
const AT = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
text[8] = text[13] = text[18] = text[23] = 0x2d; // '-'

/** A random UUID (RFC 9562 version 4, variant 10), as crypto.randomUUID() gives. */
export function randomRequestId(): string {
  if (offset === BLOCK) {
    randomFillSync(random);
    offset = 0;
  }
  for (let i = 0; i < 16; i++) {
    let b = random[offset + i]!;
    if (i === 6) b = (b & 0x0f) | 0x40;
    else if (i === 8) b = (b & 0x3f) | 0x80;
    text[AT[i]!] = HEX[2 * b]!;
    text[AT[i]! + 1] = HEX[2 * b + 1]!;
  }
  offset += 16;
  return text.toString('latin1', 0, 36);
}
