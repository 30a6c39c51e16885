// The pure parts of TLS to backends and of client certificates: SAN parsing and matching (the
// identity check a BackendTLSPolicy with subjectAltNames installs), the failure reasons of
// sluice_upstream_tls_failures_total, and the X-Forwarded-Client-Cert value. Certificates are
// real ones made by openssl.
import { describe, expect, it } from '@jest/globals';
import { createHash, X509Certificate } from 'node:crypto';
import type { PeerCertificate } from 'node:tls';
import { rfc2253, xfccValue } from '../../../src/dataplane/edge/client-certificate.js';
import { certificateSans, SAN_MISMATCH, sanCheck, tlsFailureReason } from '../../../src/dataplane/upstream/tls.js';
import { issue, makeCa } from '../../e2e/support/pki.js';

const peer = (subjectaltname: string) => ({ subjectaltname }) as PeerCertificate;

describe('certificate SANs', () => {
  it('reads DNS and URI entries as Node prints them, quoted ones included', () => {
    expect(certificateSans(peer('DNS:a.example.com, URI:spiffe://x/y, IP Address:10.0.0.1, DNS:B.Example.com'))).toEqual({ dns: ['a.example.com', 'b.example.com'], uri: ['spiffe://x/y'] });
    expect(certificateSans(peer('URI:"spiffe://x/a, b", DNS:c.test'))).toEqual({ dns: ['c.test'], uri: ['spiffe://x/a, b'] });
    expect(certificateSans(peer(''))).toEqual({ dns: [], uri: [] });
  });

  it('passes when any listed SAN is on the certificate, exact or one wildcard label either side', () => {
    const check = sanCheck([{ type: 'Hostname', value: '*.example.com' }, { type: 'URI', value: 'spiffe://cluster/ns/app/sa/web' }]);
    expect(check('ignored', peer('DNS:api.example.com'))).toBeUndefined();
    expect(check('ignored', peer('URI:spiffe://cluster/ns/app/sa/web'))).toBeUndefined();
    const deep = check('ignored', peer('DNS:a.b.example.com'));
    expect(deep).toMatchObject({ code: SAN_MISMATCH });
    expect(check('ignored', peer('DNS:example.com'))).toMatchObject({ code: SAN_MISMATCH });
    expect(check('ignored', peer('URI:spiffe://cluster/ns/app/sa/other'))).toMatchObject({ code: SAN_MISMATCH });
    const exact = sanCheck([{ type: 'Hostname', value: 'api.example.com' }]);
    expect(exact('ignored', peer('DNS:*.example.com'))).toBeUndefined();
    expect(exact('ignored', peer('DNS:*.other.com'))).toMatchObject({ code: SAN_MISMATCH });
  });
});

describe('TLS failure reasons', () => {
  it('names the verification failures and ignores what is not TLS', () => {
    expect(tlsFailureReason({ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' })).toBe('untrusted');
    expect(tlsFailureReason({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' })).toBe('untrusted');
    expect(tlsFailureReason({ code: 'CERT_HAS_EXPIRED' })).toBe('expired');
    expect(tlsFailureReason({ code: 'ERR_TLS_CERT_ALTNAME_INVALID' })).toBe('hostname-mismatch');
    expect(tlsFailureReason({ code: SAN_MISMATCH })).toBe('san-mismatch');
    expect(tlsFailureReason({ code: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED' })).toBe('rejected-by-backend');
    expect(tlsFailureReason({ code: 'ERR_SSL_WRONG_VERSION_NUMBER' })).toBe('not-tls');
    expect(tlsFailureReason({ code: 'ERR_SSL_SOMETHING_ELSE' })).toBe('handshake');
    expect(tlsFailureReason({ code: 'ECONNREFUSED' })).toBeUndefined();
    expect(tlsFailureReason({})).toBeUndefined();
  });
});

describe('X-Forwarded-Client-Cert', () => {
  it('RFC 2253 subject: most specific first', () => {
    expect(rfc2253('C=US\nO=Example\\, Inc.\nCN=alice')).toBe('CN=alice,O=Example\\, Inc.,C=US');
  });

  it('By, Hash, Subject, URI and DNS of a real certificate', () => {
    const ca = makeCa('xfcc-ca');
    const leaf = issue(ca, 'alice', { client: true, uri: ['spiffe://example.com/alice'], dns: ['alice.example.com', 'a2.example.com'], subjectExtra: '/O=Example' });
    const der = new X509Certificate(leaf.cert).raw;
    const hash = createHash('sha256').update(der).digest('hex');
    expect(xfccValue(der, ['spiffe://example.com/sluice'])).toBe(`By=spiffe://example.com/sluice;Hash=${hash};Subject="CN=alice,O=Example";URI=spiffe://example.com/alice;DNS=alice.example.com;DNS=a2.example.com`);
    expect(xfccValue(der, [])).toBe(`Hash=${hash};Subject="CN=alice,O=Example";URI=spiffe://example.com/alice;DNS=alice.example.com;DNS=a2.example.com`);
  });
});
