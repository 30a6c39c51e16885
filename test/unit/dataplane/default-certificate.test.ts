import { describe, expect, it } from '@jest/globals';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { generatedDefaultCertificate, selfSignedCertificate } from '../../../src/dataplane/tls/default-certificate.js';
import { oid, sequence, time, tlv, unsignedInteger } from '../../../src/dataplane/tls/der.js';

describe('DER encoding', () => {
  it('encodes object identifiers, lengths and integers as X.690 says', () => {
    expect(oid('1.2.840.10045.4.3.2').toString('hex')).toBe('06082a8648ce3d040302');
    expect(oid('2.5.29.37').toString('hex')).toBe('0603551d25');
    expect(tlv(0x04, Buffer.alloc(127)).subarray(0, 2).toString('hex')).toBe('047f');
    expect(tlv(0x04, Buffer.alloc(200)).subarray(0, 3).toString('hex')).toBe('0481c8');
    expect(tlv(0x04, Buffer.alloc(300)).subarray(0, 4).toString('hex')).toBe('0482012c');
    expect(unsignedInteger(Buffer.from([0x00, 0x00, 0x7f])).toString('hex')).toBe('02017f');
    expect(unsignedInteger(Buffer.from([0x80])).toString('hex')).toBe('02020080');
    expect(unsignedInteger(Buffer.from([0])).toString('hex')).toBe('020100');
    expect(sequence().toString('hex')).toBe('3000');
  });

  it('writes UTCTime through 2049 and GeneralizedTime from 2050 (RFC 5280 §4.1.2.5)', () => {
    expect(time(new Date('2049-12-31T23:59:59.900Z')).toString('latin1')).toBe('\x17\x0d491231235959Z');
    expect(time(new Date('2050-01-01T00:00:00Z')).toString('latin1')).toBe('\x18\x0f20500101000000Z');
  });
});

describe('generated default certificate', () => {
  it('is a valid self-signed P-256 certificate for CN=sluice-default that names no host', () => {
    const pair = generatedDefaultCertificate();
    const x = new X509Certificate(pair.certPem);
    expect(x.subject).toBe('CN=sluice-default');
    expect(x.issuer).toBe('CN=sluice-default');
    expect(x.subjectAltName).toBeUndefined();
    expect(x.ca).toBe(false);
    expect(x.verify(x.publicKey)).toBe(true);
    expect(x.checkPrivateKey(createPrivateKey(pair.keyPem))).toBe(true);
    expect(x.publicKey.asymmetricKeyDetails).toEqual({ namedCurve: 'prime256v1' });
    expect(x.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    const now = Date.now();
    expect(new Date(x.validFrom).getTime()).toBeLessThan(now);
    expect(new Date(x.validTo).getTime()).toBeGreaterThan(now + 300 * 24 * 3_600_000);
    expect(() => createSecureContext({ cert: pair.certPem, key: pair.keyPem })).not.toThrow();
    // One per process: the same pair on every call.
    expect(generatedDefaultCertificate()).toBe(pair);
  });

  it('gets a fresh key and serial each time it is made, and valid dates past 2049', () => {
    const a = new X509Certificate(selfSignedCertificate('x').certPem);
    const b = new X509Certificate(selfSignedCertificate('x').certPem);
    expect(a.serialNumber).not.toBe(b.serialNumber);
    expect(a.fingerprint256).not.toBe(b.fingerprint256);
    const late = new X509Certificate(selfSignedCertificate('late', new Date('2060-06-01T00:00:00Z')).certPem);
    expect(new Date(late.validTo).toISOString()).toBe('2061-06-01T00:00:00.000Z');
    expect(late.verify(late.publicKey)).toBe(true);
  });
});
