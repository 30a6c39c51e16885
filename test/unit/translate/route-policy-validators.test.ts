// The RoutePolicy value checks and block readers on their own: CIDR canonical form, htpasswd
// parsing, origins, media types, quantities, and the defaults and refusals of each block.
import { createHash } from 'node:crypto';
import { BlockList } from 'node:net';
import { describe, expect, it } from '@jest/globals';
import { validateTable } from '../../../src/table/validate.js';
import { Fields } from '../../../src/translate/policy/fields.js';
import { forEachJunkField } from '../support/junk-policy.js';
import { readCache, readCoalescing } from '../../../src/translate/route-policy/caching.js';
import { canonicalCidr } from '../../../src/translate/route-policy/cidrs.js';
import { readCompression } from '../../../src/translate/route-policy/compression.js';
import { readCors } from '../../../src/translate/route-policy/cors.js';
import { ROUTE_POLICY_DEFAULTS } from '../../../src/translate/route-policy/defaults.js';
import { parseHtpasswd } from '../../../src/translate/route-policy/htpasswd.js';
import { readIpAccess } from '../../../src/translate/route-policy/ip-access.js';
import { readRateLimit } from '../../../src/translate/route-policy/rate-limit.js';
import { mediaTypeProblem, methodProblem, originProblem, parseQuantity } from '../../../src/translate/route-policy/web.js';

function reader(): { f: Fields; problems: string[] } {
  const problems: string[] = [];
  return { f: new Fields('spec', (m) => problems.push(m)), problems };
}

const BCRYPT = '$2y$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy';
const sha = (password: string) => `{SHA}${createHash('sha1').update(password).digest('base64')}`;

describe('canonicalCidr', () => {
  it('clears host bits and writes one spelling', () => {
    const cases: [string, string][] = [
      ['10.1.2.3/8', '10.0.0.0/8'],
      ['192.0.2.7', '192.0.2.7/32'],
      ['0.0.0.0/0', '0.0.0.0/0'],
      ['255.255.255.255/31', '255.255.255.254/31'],
      ['2001:DB8:0:0::1/32', '2001:db8::/32'],
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1/128'],
      ['::ffff:10.1.2.3/120', '::ffff:a01:200/120'],
      ['fe80::1/10', 'fe80::/10'],
      ['::/0', '::/0'],
      ['1:0:0:1:0:0:0:1/128', '1:0:0:1::1/128'],
    ];
    for (const [input, want] of cases) expect([input, canonicalCidr(input)]).toEqual([input, { cidr: want }]);
  });

  it('names the same range node:net does', () => {
    // For random addresses: an address is in the input range iff it is in the canonical one.
    for (let i = 0; i < 200; i++) {
      const octets = Array.from({ length: 4 }, () => Math.floor(Math.random() * 256));
      const bits = Math.floor(Math.random() * 33);
      const input = `${octets.join('.')}/${bits}`;
      const out = canonicalCidr(input);
      if (!('cidr' in out)) throw new Error(`${input}: ${out.problem}`);
      const [net, prefix] = out.cidr.split('/') as [string, string];
      const list = new BlockList();
      list.addSubnet(net, Number(prefix), 'ipv4');
      expect([input, list.check(octets.join('.'), 'ipv4')]).toEqual([input, true]);
      const probe = Array.from({ length: 4 }, () => Math.floor(Math.random() * 256)).join('.');
      const inInput = bits === 0 || (ip4(probe) >>> (32 - bits)) === (ip4(octets.join('.')) >>> (32 - bits));
      expect([input, probe, list.check(probe, 'ipv4')]).toEqual([input, probe, inInput]);
    }
  });

  it('refuses what is not a CIDR', () => {
    for (const bad of ['10.0.0.256/8', '10.0.0.0/33', 'nope', '10.0.0.0/', '10.0.0.0/8/8', 'fe80::1%eth0', '::1/129', '']) {
      expect([bad, 'problem' in canonicalCidr(bad)]).toEqual([bad, true]);
    }
  });
});

function ip4(s: string): number {
  return s.split('.').reduce((a, o) => a * 256 + Number(o), 0);
}

describe('parseHtpasswd', () => {
  it('reads bcrypt ($2a$, $2b$, $2y$) and {SHA} entries, skipping comments and blank lines', () => {
    const text = `# users\n\nalice:${BCRYPT}\r\nbob:${sha('secret')}\ncarol:${BCRYPT.replace('$2y$', '$2a$')}\ndave:${BCRYPT.replace('$2y$', '$2b$')}\n`;
    expect(parseHtpasswd(text)).toEqual({
      entries: [
        { name: 'alice', hash: BCRYPT },
        { name: 'bob', hash: sha('secret') },
        { name: 'carol', hash: BCRYPT.replace('$2y$', '$2a$') },
        { name: 'dave', hash: BCRYPT.replace('$2y$', '$2b$') },
      ],
    });
  });

  it('refuses the whole file for any other hash, a duplicate user or a malformed line, naming each', () => {
    const bad = parseHtpasswd(
      [
        `md5:$apr1$salt$0123456789abcdefghijkl`,
        'crypt:rl0uE5EEhRC9E',
        'plain:hunter2',
        `sha512:$6$salt$${'x'.repeat(86)}`,
        `short:${BCRYPT.slice(0, -1)}`,
        `cost:${BCRYPT.replace('$10$', '$03$')}`,
        `bad:{SHA}abc=`,
        'no-colon',
        `:${BCRYPT}`,
        `twice:${BCRYPT}`,
        `twice:${BCRYPT}`,
      ].join('\n'),
    );
    expect('problems' in bad && bad.problems).toEqual([
      'line 1 (user md5): an MD5-crypt hash is not accepted (only bcrypt $2a$/$2b$/$2y$ and {SHA})',
      'line 2 (user crypt): a crypt(3) or plain-text password is not accepted (only bcrypt $2a$/$2b$/$2y$ and {SHA})',
      'line 3 (user plain): a crypt(3) or plain-text password is not accepted (only bcrypt $2a$/$2b$/$2y$ and {SHA})',
      'line 4 (user sha512): a SHA-crypt hash is not accepted (only bcrypt $2a$/$2b$/$2y$ and {SHA})',
      'line 5 (user short): a malformed bcrypt hash is not accepted (only bcrypt $2a$/$2b$/$2y$ and {SHA})',
      'line 6 (user cost): a malformed bcrypt hash is not accepted (only bcrypt $2a$/$2b$/$2y$ and {SHA})',
      'line 7 (user bad): a malformed {SHA} hash is not accepted (only bcrypt $2a$/$2b$/$2y$ and {SHA})',
      'line 8: not "user:hash"',
      'line 9: not "user:hash"',
      'line 11: user twice appears twice',
    ]);
    expect(parseHtpasswd('# nobody\n\n')).toEqual({ problems: ['has no entries'] });
  });
});

describe('value checks', () => {
  it('origins: exact, wildcard host, "*"', () => {
    for (const ok of ['*', 'https://app.example.com', 'https://*.example.com', 'http://localhost:8080', 'app-x+y://a.b']) expect([ok, originProblem(ok)]).toEqual([ok, undefined]);
    for (const bad of ['https://App.example.com', 'https://app.example.com/', 'app.example.com', 'https://*example.com', 'https://a.*.com', 'https://a.com:70000', 'https://a.com:']) {
      expect([bad, originProblem(bad) !== undefined]).toEqual([bad, true]);
    }
  });
  it('methods and media types', () => {
    expect(['GET', 'PURGE', '*'].map(methodProblem)).toEqual([undefined, undefined, undefined]);
    expect(['GE T', '', 'GET,POST'].every((m) => methodProblem(m) !== undefined)).toBe(true);
    expect(['text/*', 'application/json', 'image/svg+xml', 'application/vnd.api+json'].map(mediaTypeProblem)).toEqual([undefined, undefined, undefined, undefined]);
    expect(['Text/HTML', 'text', '*/*', 'text/html; charset=utf-8', 'text/'].every((t) => mediaTypeProblem(t) !== undefined)).toBe(true);
  });
  it('quantities of bytes', () => {
    expect(['64Mi', '1Gi', '2k', '3M', '4096', '0'].map(parseQuantity)).toEqual([64 * 1024 ** 2, 1024 ** 3, 2000, 3_000_000, 4096, 0]);
    expect(['1.5Mi', '1MiB', '-1', 'Mi', '1m', ' 1', '1e3'].map(parseQuantity)).toEqual(Array(7).fill(undefined));
    expect([parseQuantity(1024), parseQuantity(-1), parseQuantity(1.5)]).toEqual([1024, undefined, undefined]);
  });
});

describe('block readers', () => {
  it('fill every default of an empty block', () => {
    const { f, problems } = reader();
    expect(readCompression({}, f)).toEqual({ types: ['br', 'gzip'], minLength: 1024, contentTypes: ROUTE_POLICY_DEFAULTS.compression.contentTypes });
    expect(readCoalescing({}, f)).toEqual({ maxWaiters: 1000, timeoutMs: 5000 });
    expect(readCache({}, f)).toEqual({ maxSizeBytes: 64 * 1024 ** 2, maxObjectSizeBytes: 1024 ** 2, defaultTtlMs: 0 });
    expect(readCors({ allowOrigins: ['https://a.example'] }, f)).toEqual({ allowOrigins: ['https://a.example'], allowMethods: ['GET', 'HEAD', 'POST'], allowHeaders: [], exposeHeaders: [], allowCredentials: false });
    expect(readRateLimit({ rules: [{ limit: { requests: 5, unit: 'Second' } }] }, f)).toEqual({ type: 'Local', rules: [{ clientSelectors: [], requests: 5, unitMs: 1000, burst: 5 }] });
    expect(problems).toEqual([]);
  });

  it('enabled: false switches coalescing and the cache off (null), not absent', () => {
    const { f, problems } = reader();
    expect([readCoalescing({ enabled: false }, f), readCache({ enabled: false }, f), readCache(undefined, f)]).toEqual([null, null, undefined]);
    expect(problems).toEqual([]);
  });

  it('a small maxSize caps the default maxObjectSize instead of failing', () => {
    const { f, problems } = reader();
    expect(readCache({ maxSize: '512Ki' }, f)).toEqual({ maxSizeBytes: 512 * 1024, maxObjectSizeBytes: 512 * 1024, defaultTtlMs: 0 });
    expect(problems).toEqual([]);
  });

  it('ipAccess needs a list and dedupes canonical CIDRs', () => {
    const { f, problems } = reader();
    expect(readIpAccess({ allow: ['10.1.0.0/8', '10.0.0.0/8'] }, f)).toEqual({ allow: ['10.0.0.0/8'], deny: [] });
    expect(problems).toEqual([]);
    readIpAccess({ allow: [], deny: [] }, f);
    expect(problems).toEqual(['spec.ipAccess: must list allow or deny CIDRs']);
  });

  it('CORS with credentials refuses every wildcard', () => {
    const { f, problems } = reader();
    readCors({ allowOrigins: ['https://a.example'], allowMethods: ['*'], exposeHeaders: ['*'], allowCredentials: true }, f);
    expect(problems).toEqual([
      'spec.cors.allowMethods: "*" cannot be combined with allowCredentials: list the values',
      'spec.cors.exposeHeaders: "*" cannot be combined with allowCredentials: list the values',
    ]);
  });
});

describe('junk in any field of a RoutePolicy', () => {
  it('never throws; the table stays valid; a refused security block always denies its route', () => {
    let invalid = 0;
    const paths = forEachJunkField('RoutePolicy', { group: 'networking.k8s.io', kind: 'Ingress', name: 'web' }, (path, value, result) => {
      expect(validateTable(result.table)).toEqual([]);
      const status = result.statuses.find((s) => s.kind === 'RoutePolicy');
      const reason = status?.kind === 'RoutePolicy' ? (status.ancestors[0]?.conditions[0]?.reason ?? 'none') : 'missing';
      expect([path, value, ['Accepted', 'Invalid', 'TargetNotFound', 'none']]).toEqual([path, value, expect.arrayContaining([reason])]);
      if (reason === 'Invalid') invalid++;
      expect([path, value, result.diagnostics.some((d) => d.message.includes('malformed RoutePolicy'))]).toEqual([path, value, false]);
      const edge = result.table.listeners[0]?.virtualHosts[0]?.routes[0]?.edge;
      const block = path.split('.')[0]!;
      const security = ['ipAccess', 'basicAuth', 'forwardAuth'].includes(block);
      const refused = result.diagnostics.some((d) => d.code === 'SLUICE_ROUTE_POLICY_BLOCK_INVALID' && d.message.startsWith(`spec.${block}`));
      if (security && refused) expect([path, value, edge?.denyAll !== undefined]).toEqual([path, value, true]);
      if (!security) expect([path, value, edge?.denyAll]).toEqual([path, value, undefined]);
    });
    expect(invalid).toBeGreaterThan(paths * 5); // most junk is refused, not quietly used
  });
});
