import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server as TlsServer } from 'node:tls';
import { SniCertificates, type SniOptions } from '../../../src/dataplane/tls.js';
import type { Listener, TlsCertificate } from '../../../src/table/types.js';

const dir = mkdtempSync(join(tmpdir(), 'sluice-sni-'));
function cert(name: string, hostnames: string[]): TlsCertificate {
  const base = join(dir, name.replace('*', 'star'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', `/CN=${name}`, '-keyout', `${base}.key`, '-out', `${base}.crt`], { stdio: 'ignore' });
  return { secret: { kind: 'Secret', namespace: 'ns', name }, hostnames, certPem: readFileSync(`${base}.crt`, 'utf8'), keyPem: readFileSync(`${base}.key`, 'utf8') };
}

/** A stand-in server that records what refreshDefault makes its default context. */
function recordingServer(): { server: TlsServer; applied: () => { cert?: string; key?: string } | undefined; calls: () => number } {
  let applied: { cert?: string; key?: string } | undefined;
  let calls = 0;
  const server = {
    setSecureContext(options: { cert?: string; key?: string }) {
      applied = options;
      calls++;
    },
  } as unknown as TlsServer;
  return { server, applied: () => applied, calls: () => calls };
}

describe('SNI certificate choice', () => {
  const anyName = cert('any-name', []);
  const exact = cert('a.example.com', ['a.example.com']);
  const wild = cert('*.example.com', ['*.example.com']);
  const deeper = cert('*.b.example.com', ['*.b.example.com']);
  const configured = cert('configured-default', []);
  const generated = cert('generated-default', []);
  const listener = (certificates: TlsCertificate[], defaultCertificate?: TlsCertificate): Listener => ({
    name: 'l', protocol: 'HTTPS', port: 443, virtualHosts: [], tls: { certificates, ...(defaultCertificate ? { defaultCertificate } : {}) },
  });
  const sniFor = (l: () => Listener | undefined, options: Partial<SniOptions> = {}) =>
    new SniCertificates({ listener: l, rejectUnknownSni: false, onError: (e) => { throw e; }, generatedDefault: () => generated, ...options });

  it('prefers exact, then the longest wildcard, then a certificate for any name', () => {
    let current = listener([anyName, exact, wild, deeper]);
    const sni = sniFor(() => current);
    const a = sni.pick('a.example.com');
    const x = sni.pick('x.example.com');
    const y = sni.pick('y.b.example.com');
    const other = sni.pick('other.org');
    expect(new Set([a, x, y, other]).size).toBe(4);
    expect(sni.pick('deep.x.example.com')).toBe(x);
    const { server, applied } = recordingServer();
    sni.refreshDefault(server);
    expect(applied()).toEqual({ cert: anyName.certPem, key: anyName.keyPem });
    // A new table with new objects is picked up on the next call; unchanged pairs keep their context.
    current = listener([exact]);
    expect(sni.pick('a.example.com')).toBe(a);
  });

  it('never serves a tenant certificate for an unknown name or to a client without SNI: the generated default', () => {
    const sni = sniFor(() => listener([exact, wild]));
    const unknown = sni.pick('other.org');
    expect(unknown).not.toBe(sni.pick('a.example.com'));
    expect(unknown).not.toBe(sni.pick('x.example.com'));
    expect(sni.pick('another.net')).toBe(unknown);
    const { server, applied } = recordingServer();
    sni.refreshDefault(server);
    expect(applied()).toEqual({ cert: generated.certPem, key: generated.keyPem });
  });

  it('serves the --default-certificate Secret for unknown names when the table carries one', () => {
    const sni = sniFor(() => listener([exact], configured));
    const { server, applied } = recordingServer();
    sni.refreshDefault(server);
    expect(applied()).toEqual({ cert: configured.certPem, key: configured.keyPem });
    expect(sni.pick('other.org')).not.toBe(sni.pick('a.example.com'));
  });

  it('with rejectUnknownSni, unknown names and clients without SNI get a context without certificate', () => {
    const sni = sniFor(() => listener([exact], configured), { rejectUnknownSni: true });
    const { server, applied } = recordingServer();
    sni.refreshDefault(server);
    expect(applied()).toEqual({});
    const refused = sni.pick('other.org');
    expect(refused).not.toBe(sni.pick('a.example.com'));
    // A listener certificate for any name still serves every name (its owner claimed them all).
    const open = sniFor(() => listener([exact, anyName]), { rejectUnknownSni: true });
    const r = recordingServer();
    open.refreshDefault(r.server);
    expect(r.applied()).toEqual({ cert: anyName.certPem, key: anyName.keyPem });
  });

  it('pushes the server default only when it changes', () => {
    let current = listener([exact]);
    const sni = sniFor(() => current);
    const { server, calls, applied } = recordingServer();
    sni.refreshDefault(server);
    current = listener([exact, wild]);
    sni.refreshDefault(server);
    expect(calls()).toBe(1);
    current = listener([exact], configured);
    sni.refreshDefault(server);
    expect(calls()).toBe(2);
    expect(applied()).toEqual({ cert: configured.certPem, key: configured.keyPem });
  });

  it('reports an unusable key pair and skips it (an unusable default falls back to the generated one)', () => {
    const broken: TlsCertificate = { ...exact, keyPem: anyName.keyPem };
    const brokenDefault: TlsCertificate = { ...configured, keyPem: anyName.keyPem };
    const errors: unknown[] = [];
    const sni = sniFor(() => listener([broken], brokenDefault), { onError: (_e, secret) => errors.push(secret) });
    const { server, applied } = recordingServer();
    sni.refreshDefault(server);
    expect(errors).toEqual(['ns/a.example.com', 'ns/configured-default']);
    expect(applied()).toEqual({ cert: generated.certPem, key: generated.keyPem });
    expect(sni.pick('a.example.com')).toBe(sni.pick('other.org'));
    rmSync(dir, { recursive: true, force: true });
  });
});
