// htpasswd entries: bcrypt ("$2y$", "$2a$", "$2b$", as `htpasswd -B` writes) and "{SHA}"
// (base64 SHA-1, `htpasswd -s`). Any other scheme (MD5 "$apr1$", crypt, plain) verifies nothing:
// an entry Sluice cannot check must not let anyone in.
import { createHash, timingSafeEqual } from 'node:crypto';
import bcrypt from 'bcryptjs';

export type HashScheme = 'bcrypt' | 'sha' | 'unsupported';

export function hashScheme(hash: string): HashScheme {
  if (/^\$2[aby]\$\d\d\$/.test(hash)) return 'bcrypt';
  if (hash.startsWith('{SHA}')) return 'sha';
  return 'unsupported';
}

/** {SHA} check: synchronous and cheap. */
export function verifySha(password: string, hash: string): boolean {
  const expected = Buffer.from(hash.slice('{SHA}'.length), 'base64');
  const actual = createHash('sha1').update(password, 'utf8').digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** bcrypt check: asynchronous (bcryptjs yields to the event loop between rounds). */
export function verifyBcrypt(password: string, hash: string): Promise<boolean> {
  // "$2y$" (PHP, htpasswd) is the same algorithm as "$2b$".
  return bcrypt.compare(password, hash.startsWith('$2y$') ? `$2b$${hash.slice(4)}` : hash);
}
