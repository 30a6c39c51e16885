// An htpasswd file (the ".htpasswd" key of a basicAuth Secret) → its entries. Only hashes that
// are safe to accept are: bcrypt ($2a$, $2b$, $2y$) and the unsalted {SHA} of old Apache setups.
// MD5-crypt ($apr1$, $1$), DES crypt and plain text are refused, and so is the whole file then:
// a policy never serves a user list other than the one written (and a broken basicAuth fails
// closed — see route-policy.ts).

export interface HtpasswdEntry {
  readonly name: string;
  readonly hash: string;
}

const BCRYPT = /^\$2[aby]\$(0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}$/;
const SHA = /^\{SHA\}[A-Za-z0-9+/]{27}=$/;
export const MAX_HTPASSWD_ENTRIES = 10_000;

/** The entries of an htpasswd file, or every problem found (by line). */
export function parseHtpasswd(text: string): { entries: HtpasswdEntry[] } | { problems: string[] } {
  const entries: HtpasswdEntry[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const where = `line ${i + 1}`;
    const colon = line.indexOf(':');
    if (colon <= 0) return void problems.push(`${where}: not "user:hash"`);
    const name = line.slice(0, colon);
    const hash = line.slice(colon + 1);
    if (/[\s\x00-\x1f\x7f]/.test(name)) return void problems.push(`${where}: the user name has spaces or control characters`);
    if (!BCRYPT.test(hash) && !SHA.test(hash)) {
      return void problems.push(`${where} (user ${name}): ${hashKind(hash)} is not accepted (only bcrypt $2a$/$2b$/$2y$ and {SHA})`);
    }
    if (seen.has(name)) return void problems.push(`${where}: user ${name} appears twice`);
    seen.add(name);
    entries.push({ name, hash });
  });
  if (problems.length === 0 && entries.length === 0) problems.push('has no entries');
  if (entries.length > MAX_HTPASSWD_ENTRIES) problems.push(`has ${entries.length} entries, at most ${MAX_HTPASSWD_ENTRIES} are allowed`);
  return problems.length > 0 ? { problems } : { entries };
}

function hashKind(hash: string): string {
  if (hash.startsWith('$apr1$') || hash.startsWith('$1$')) return 'an MD5-crypt hash';
  if (hash.startsWith('$2')) return 'a malformed bcrypt hash';
  if (hash.startsWith('{SHA}')) return 'a malformed {SHA} hash';
  if (/^\$[56]\$/.test(hash)) return 'a SHA-crypt hash';
  return 'a crypt(3) or plain-text password';
}
