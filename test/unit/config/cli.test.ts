import { describe, expect, it } from '@jest/globals';
import { helpText, parseConfig } from '../../../src/cli.js';
import { parseDuration } from '../../../src/config/duration.js';
import { SluiceError } from '../../../src/errors.js';

function error(fn: () => unknown): SluiceError {
  try {
    fn();
  } catch (e) {
    if (e instanceof SluiceError) return e;
    throw e;
  }
  throw new Error('expected an error');
}

describe('parseConfig', () => {
  it('applies the documented defaults', () => {
    const c = parseConfig([], {});
    expect(c).toMatchObject({ provider: 'kubernetes', httpPort: 8080, httpsPort: 8443, adminPort: 9090, bindAddress: '0.0.0.0', ingressClass: 'sluice', workers: 1, leaderElect: false });
    expect(c.upstream).toEqual({ connectMs: 5000, responseMs: 60000, idleMs: 60000, keepAliveMs: 60000 });
    expect(c.watchNamespace).toBeUndefined();
  });

  it('reads SLUICE_* env, and flags override env', () => {
    const c = parseConfig(['--http-port', '81', '--leader-elect', '--publish-address=1.2.3.4, lb.example.com'], {
      SLUICE_HTTP_PORT: '80',
      SLUICE_INGRESS_CLASS: 'edge',
      SLUICE_DRAIN_TIMEOUT: '1m30s',
    });
    expect(c.httpPort).toBe(81);
    expect(c.ingressClass).toBe('edge');
    expect(c.leaderElect).toBe(true);
    expect(c.drainTimeoutMs).toBe(90_000);
    expect(c.publishAddress).toEqual(['1.2.3.4', 'lb.example.com']);
  });

  it('rejects bad input with a coded error naming the flag', () => {
    expect(error(() => parseConfig(['--http-port', '70000'], {})).message).toContain('--http-port');
    expect(error(() => parseConfig(['--provider', 'consul'], {})).code).toBe('SLUICE_CONFIG_INVALID');
    expect(error(() => parseConfig(['--nope'], {})).code).toBe('SLUICE_CONFIG_UNKNOWN_FLAG');
    expect(error(() => parseConfig(['--provider', 'file'], {})).message).toContain('--manifests');
    expect(error(() => parseConfig(['--publish-service', 'justname'], {})).message).toContain('namespace/name');
    expect(error(() => parseConfig(['--upstream-connect-timeout', '5 seconds'], {})).message).toContain('duration');
    expect(error(() => parseConfig(['--http-port', '9090'], {})).message).toContain('must differ');
    expect(error(() => parseConfig(['--workers', '0'], {})).message).toContain('below 1');
  });

  it('binds the admin server where the data plane binds unless told otherwise', () => {
    expect(parseConfig(['--bind-address', '127.0.0.1'], {}).adminBindAddress).toBe('127.0.0.1');
    expect(parseConfig(['--bind-address', '127.0.0.1', '--admin-bind-address', '0.0.0.0'], {}).adminBindAddress).toBe('0.0.0.0');
    expect(parseConfig([], {}).debugRemote).toBe(false);
  });

  it('types the edge flags: sizes, CIDRs, the PROXY protocol and path handling', () => {
    const c = parseConfig(['--max-request-body', '10MiB', '--trusted-proxies', '10.0.0.0/8, 192.0.2.7,fd00::/8', '--proxy-protocol', '--escaped-slashes', 'reject', '--merge-slashes=false', '--default-certificate', 'ingress/wildcard'], {});
    expect(c.edge).toEqual({
      trustedProxies: ['10.0.0.0/8', '192.0.2.7', 'fd00::/8'],
      trustedHops: 0,
      proxyProtocol: true,
      headerTimeoutMs: 60_000,
      tlsHandshakeTimeoutMs: 10_000,
      maxRequestBodyBytes: 10 * 1024 * 1024,
      mergeSlashes: false,
      escapedSlashes: 'reject',
      rejectUnknownSni: false,
    });
    expect(c.defaultCertificate).toEqual({ namespace: 'ingress', name: 'wildcard' });
    expect(c.maxManifestBytes).toBe(16 * 1024 * 1024);
    expect(error(() => parseConfig(['--trusted-proxies', '10.0.0.0/33'], {})).message).toContain('--trusted-proxies');
    expect(error(() => parseConfig(['--trusted-proxies', 'example.com'], {})).message).toContain('CIDR');
    expect(error(() => parseConfig(['--proxy-protocol'], {})).message).toContain('--trusted-proxies');
    expect(error(() => parseConfig(['--max-request-body', '10 megs'], {})).message).toContain('--max-request-body');
    expect(error(() => parseConfig(['--default-certificate', 'nons'], {})).message).toContain('namespace/name');
    expect(parseConfig(['--gateway-address-pool', '10.99.0.0/24'], {}).gatewayAddressPool).toBe('10.99.0.0/24');
    expect(parseConfig([], {}).gatewayAddressPool).toBeUndefined();
    expect(error(() => parseConfig(['--gateway-address-pool', 'fd00::/64'], {})).message).toContain('only IPv4');
  });

  it('documents every flag in --help', () => {
    const help = helpText();
    for (const flag of ['--provider', '--manifests', '--http-port', '--admin-port', '--watch-namespace', '--drain-timeout']) expect(help).toContain(flag);
  });
});

describe('parseDuration', () => {
  it('parses units and combinations', () => {
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('5s')).toBe(5000);
    expect(parseDuration('1m30s')).toBe(90000);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('10')).toBeUndefined();
    expect(parseDuration('5s junk')).toBeUndefined();
    expect(parseDuration('')).toBeUndefined();
  });
});
