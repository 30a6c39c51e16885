// htpasswd verification: bcrypt in its $2a$/$2b$/$2y$ spellings, {SHA}, and unsupported schemes.
import { describe, expect, it } from '@jest/globals';
import bcrypt from 'bcryptjs';
import { parseBasic } from '../../../../src/dataplane/route-policy/basic-auth.js';
import { hashScheme, verifyBcrypt, verifySha } from '../../../../src/dataplane/route-policy/htpasswd.js';

describe('htpasswd', () => {
  it('verifies bcrypt entries, including the $2y$ spelling htpasswd -B writes', async () => {
    const hash = bcrypt.hashSync('s3cret', 4);
    expect(hash.startsWith('$2b$04$')).toBe(true);
    const y = `$2y$${hash.slice(4)}`;
    for (const h of [hash, y, `$2a$${hash.slice(4)}`]) {
      expect(hashScheme(h)).toBe('bcrypt');
      await expect(verifyBcrypt('s3cret', h)).resolves.toBe(true);
      await expect(verifyBcrypt('s3cret ', h)).resolves.toBe(false);
    }
  });

  it('verifies {SHA} entries (htpasswd -s)', () => {
    // htpasswd -nbs user password
    const hash = '{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=';
    expect(hashScheme(hash)).toBe('sha');
    expect(verifySha('password', hash)).toBe(true);
    expect(verifySha('Password', hash)).toBe(false);
    expect(verifySha('password', '{SHA}')).toBe(false);
  });

  it('treats other schemes as unsupported (they verify nothing)', () => {
    expect(hashScheme('$apr1$abc$def')).toBe('unsupported');
    expect(hashScheme('plain')).toBe('unsupported');
    expect(hashScheme('$2b$xx$')).toBe('unsupported');
  });

  it('reads Basic credentials; the password may contain colons', () => {
    const h = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;
    expect(parseBasic(h('alice:pa:ss'))).toEqual({ user: 'alice', password: 'pa:ss' });
    expect(parseBasic(`basic ${Buffer.from('bob:x').toString('base64')}`)).toEqual({ user: 'bob', password: 'x' });
    expect(parseBasic(h('nocolon'))).toBeUndefined();
    expect(parseBasic(h(':nouser'))).toBeUndefined();
    expect(parseBasic('Bearer abc')).toBeUndefined();
    expect(parseBasic(undefined)).toBeUndefined();
  });
});
