// Client-certificate validation on HTTPS listeners (Gateway spec.tls.frontend) end to end, file
// mode: AllowValidOnly closes connections without a certificate that verifies against the CA
// ConfigMap, whatever the SNI; AllowInsecureFallback (per port) serves them. The backend gets the
// verified identity in X-Forwarded-Client-Cert (Envoy's format) and never a client's own. The
// impostor's certificate names the trusted CA as issuer but another key signed it (the
// conformance suite's CAs all share one subject): its failed signature check must not reset the
// connection under AllowInsecureFallback.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, X509Certificate } from 'node:crypto';
import type { Server } from 'node:http';
import { request } from 'node:https';
import { startEchoBackend, type EchoReply } from '../../src/demo/backend.js';
import { closeServers, debugRoutes, freePort, GATEWAY_CLASS_YAML, ManifestDir, serviceYaml, type Sluice, startSluice } from './support/harness.js';
import { caConfigMap, issue, makeCa, type Pem, tlsSecret } from './support/pki.js';

interface Reply {
  readonly status: number;
  readonly echo: EchoReply;
}

function call(port: number, servername: string, client: Pem | undefined, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/', servername, headers: { host: servername, ...headers }, rejectUnauthorized: false, agent: false, timeout: 5000, ...(client ? { cert: client.cert, key: client.key } : {}) },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, echo: JSON.parse(body) as EchoReply }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

describe('client certificates and X-Forwarded-Client-Cert (file mode)', () => {
  const dir = new ManifestDir();
  let servers: Server[] = [];
  let sluice: Sluice;
  let fallbackPort: number;
  const clientCa = makeCa('client-ca');
  const strangerCa = makeCa('stranger-ca');
  const serverCa = makeCa('server-ca');
  const alice = issue(clientCa, 'alice', { client: true, dns: ['alice.example.com'], uri: ['spiffe://example.com/alice'], subjectExtra: '/O=Example, Inc.' });
  const mallory = issue(strangerCa, 'mallory', { client: true });
  const impostorCa = makeCa('client-ca');
  const impostor = issue(impostorCa, 'impostor', { client: true, authorityKeyId: false });

  beforeAll(async () => {
    const echoPort = await freePort();
    fallbackPort = await freePort();
    servers = [await startEchoBackend('echo', echoPort)];
    const serverPair = issue(serverCa, 'a.example.com', { dns: ['a.example.com', '*.example.com'], uri: ['spiffe://example.com/sluice'] });
    dir.write('gateway.yaml', `${GATEWAY_CLASS_YAML}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: gw, namespace: web }
spec:
  gatewayClassName: sluice
  tls:
    frontend:
      default: { validation: { caCertificateRefs: [{ group: "", kind: ConfigMap, name: client-ca }] } }
      perPort:
        - { port: ${fallbackPort}, tls: { validation: { mode: AllowInsecureFallback, caCertificateRefs: [{ group: "", kind: ConfigMap, name: client-ca }] } } }
  listeners:
    - { name: https, port: 443, protocol: HTTPS, hostname: a.example.com, tls: { certificateRefs: [{ name: server }] } }
    - { name: https-other, port: 443, protocol: HTTPS, hostname: b.example.com, tls: { certificateRefs: [{ name: server }] } }
    - { name: fallback, port: ${fallbackPort}, protocol: HTTPS, tls: { certificateRefs: [{ name: server }] } }
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: web, namespace: web }
spec:
  parentRefs: [{ name: gw }]
  rules: [{ backendRefs: [{ name: echo, port: 80 }] }]
`);
    dir.write('objects.yaml', [tlsSecret('web', 'server', serverPair), caConfigMap('web', 'client-ca', clientCa), serviceYaml('web', 'echo', [{ port: echoPort }])].join('---\n'));
    sluice = await startSluice(dir.path);
  });

  afterAll(async () => {
    await sluice?.stop();
    await closeServers(servers);
    dir.remove();
  });

  it('serves a client with a certificate from the CA and forwards its identity in XFCC', async () => {
    const r = await call(sluice.httpsPort, 'a.example.com', alice);
    expect(r.status).toBe(200);
    const der = new X509Certificate(alice.cert).raw;
    const hash = createHash('sha256').update(der).digest('hex');
    expect(r.echo.headers['x-forwarded-client-cert']).toBe(`By=spiffe://example.com/sluice;Hash=${hash};Subject="CN=alice,O=Example\\, Inc.";URI=spiffe://example.com/alice;DNS=alice.example.com`);
  });

  it('drops a client-sent X-Forwarded-Client-Cert, keeping only its own', async () => {
    const r = await call(sluice.httpsPort, 'a.example.com', alice, { 'x-forwarded-client-cert': 'Hash=forged;Subject="CN=admin"' });
    expect(r.status).toBe(200);
    expect(r.echo.headers['x-forwarded-client-cert']).not.toContain('forged');
    expect(r.echo.headers['x-forwarded-client-cert']).toContain('CN=alice');
  });

  it('closes connections without a certificate, or with one from another CA, on every SNI', async () => {
    await expect(call(sluice.httpsPort, 'a.example.com', undefined)).rejects.toThrow();
    await expect(call(sluice.httpsPort, 'a.example.com', mallory)).rejects.toThrow();
    await expect(call(sluice.httpsPort, 'a.example.com', impostor)).rejects.toThrow();
    // Another listener of the port, and a name no certificate claims: the same validation.
    await expect(call(sluice.httpsPort, 'b.example.com', undefined)).rejects.toThrow();
    await expect(call(sluice.httpsPort, 'unknown.test', undefined)).rejects.toThrow();
    expect((await call(sluice.httpsPort, 'b.example.com', alice)).status).toBe(200);
  });

  it('AllowInsecureFallback serves everyone, with XFCC only for a verified certificate', async () => {
    const none = await call(fallbackPort, 'a.example.com', undefined, { 'x-forwarded-client-cert': 'Hash=forged' });
    expect(none.status).toBe(200);
    expect(none.echo.headers['x-forwarded-client-cert']).toBeUndefined();
    const stranger = await call(fallbackPort, 'a.example.com', mallory);
    expect(stranger.status).toBe(200);
    expect(stranger.echo.headers['x-forwarded-client-cert']).toBeUndefined();
    for (let i = 0; i < 3; i++) {
      const forged = await call(fallbackPort, 'a.example.com', impostor);
      expect(forged.status).toBe(200);
      expect(forged.echo.headers['x-forwarded-client-cert']).toBeUndefined();
    }
    const valid = await call(fallbackPort, 'a.example.com', alice);
    expect(valid.echo.headers['x-forwarded-client-cert']).toContain('Subject="CN=alice');
    const d = await debugRoutes(sluice);
    const gw = d.statuses.find((s) => s.kind === 'Gateway') as unknown as { status: { conditions: { type: string; status: string; reason: string }[] } };
    expect(gw.status.conditions.find((c) => c.type === 'InsecureFrontendValidationMode')).toMatchObject({ status: 'True', reason: 'ConfigurationChanged' });
  });
});
