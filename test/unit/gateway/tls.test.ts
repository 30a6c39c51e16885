import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SniCertificates } from '../../../src/dataplane/tls.js';
import type { Listener, TlsCertificate } from '../../../src/table/types.js';

const dir = mkdtempSync(join(tmpdir(), 'sluice-sni-'));
function cert(name: string, hostnames: string[]): TlsCertificate {
  const base = join(dir, name.replace('*', 'star'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', `/CN=${name}`, '-keyout', `${base}.key`, '-out', `${base}.crt`], { stdio: 'ignore' });
  return { secret: { kind: 'Secret', namespace: 'ns', name }, hostnames, certPem: readFileSync(`${base}.crt`, 'utf8'), keyPem: readFileSync(`${base}.key`, 'utf8') };
}

describe('SNI certificate choice', () => {
  const def = cert('default', []);
  const exact = cert('a.example.com', ['a.example.com']);
  const wild = cert('*.example.com', ['*.example.com']);
  const deeper = cert('*.b.example.com', ['*.b.example.com']);
  const listener = (certificates: TlsCertificate[]): Listener => ({ name: 'l', protocol: 'HTTPS', port: 443, virtualHosts: [], tls: { certificates } });

  it('prefers exact, then the longest wildcard, then the default', () => {
    let current = listener([def, exact, wild, deeper]);
    const errors: unknown[] = [];
    const sni = new SniCertificates(() => current, (e) => errors.push(e));
    const a = sni.pick('a.example.com');
    const x = sni.pick('x.example.com');
    const y = sni.pick('y.b.example.com');
    const other = sni.pick('other.org');
    expect(new Set([a, x, y, other]).size).toBe(4);
    expect(sni.pick('deep.x.example.com')).toBe(x);
    // A new table with new objects is picked up on the next call; unchanged pairs keep their context.
    current = listener([exact]);
    expect(sni.pick('a.example.com')).toBe(a);
    expect(sni.pick('other.org')).toBe(a); // no default: the first certificate
    expect(errors).toEqual([]);
  });

  it('reports an unusable key pair and skips it', () => {
    const broken: TlsCertificate = { ...exact, keyPem: def.keyPem };
    const errors: unknown[] = [];
    const sni = new SniCertificates(() => listener([broken]), (_e, secret) => errors.push(secret));
    expect(sni.pick('a.example.com')).toBeUndefined();
    expect(errors).toEqual(['ns/a.example.com']);
    rmSync(dir, { recursive: true, force: true });
  });
});
