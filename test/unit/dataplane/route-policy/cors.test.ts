// CORS rules: which origins match, what a preflight is answered, what an actual answer carries.
import { describe, expect, it } from '@jest/globals';
import type { IncomingHttpHeaders } from 'node:http';
import { CorsRules } from '../../../../src/dataplane/route-policy/cors.js';
import type { CorsPolicy } from '../../../../src/table/types.js';

const policy = (p: Partial<CorsPolicy> = {}): CorsPolicy => ({ allowOrigins: ['https://app.example.com', 'https://*.shop.test'], allowMethods: ['GET', 'PUT'], allowHeaders: ['content-type', 'x-token'], exposeHeaders: ['x-request-id'], allowCredentials: false, ...p });
const preflight = (origin: string, method: string, headers?: string) => ({ method: 'OPTIONS', headers: { origin, 'access-control-request-method': method, ...(headers ? { 'access-control-request-headers': headers } : {}) } });

describe('CorsRules', () => {
  it('matches exact origins and wildcard hosts (one or more labels), nothing else', () => {
    const rules = new CorsRules(policy());
    expect(['https://app.example.com', 'https://a.shop.test', 'https://a.b.shop.test'].map((o) => rules.allows(o))).toEqual([true, true, true]);
    expect(['http://app.example.com', 'https://shop.test', 'https://.shop.test', 'https://evil.com/.shop.test', 'https://a.shop.test:8443', 'https://app.example.com.evil', 'null'].map((o) => rules.allows(o))).toEqual([false, false, false, false, false, false, false]);
    expect(new CorsRules(policy({ allowOrigins: ['*'] })).allows('https://anything.example')).toBe(true);
  });

  it('answers an allowed preflight with the policy, and a refused one without CORS headers', () => {
    const rules = new CorsRules(policy({ maxAgeSeconds: 600, allowCredentials: true }));
    const ok = rules.preflight(preflight('https://a.shop.test', 'PUT', 'Content-Type, X-Token'))!;
    expect(ok.status).toBe(204);
    expect(ok.headers).toMatchObject({
      'access-control-allow-origin': 'https://a.shop.test',
      'access-control-allow-methods': 'GET, PUT',
      'access-control-allow-headers': 'content-type, x-token',
      'access-control-max-age': '600',
      'access-control-allow-credentials': 'true',
    });
    expect(String(ok.headers.vary)).toContain('Origin');
    for (const refused of [preflight('https://evil.test', 'GET'), preflight('https://a.shop.test', 'DELETE'), preflight('https://a.shop.test', 'GET', 'x-other')]) {
      const r = rules.preflight(refused)!;
      expect(r.status).toBe(204);
      expect(r.headers['access-control-allow-origin']).toBeUndefined();
    }
    // Not a preflight: an OPTIONS without Access-Control-Request-Method, or another method.
    expect(rules.preflight({ method: 'OPTIONS', headers: { origin: 'https://a.shop.test' } })).toBeUndefined();
    expect(rules.preflight({ method: 'GET', headers: { origin: 'https://a.shop.test', 'access-control-request-method': 'GET' } })).toBeUndefined();
  });

  it('answers "*" for any origin only without credentials, and echoes requested headers for "*"', () => {
    const open = new CorsRules(policy({ allowOrigins: ['*'], allowHeaders: ['*'], allowMethods: ['*'] }));
    const r = open.preflight(preflight('https://x.test', 'PATCH', 'x-a, x-b'))!;
    expect(r.headers).toMatchObject({ 'access-control-allow-origin': '*', 'access-control-allow-methods': 'PATCH', 'access-control-allow-headers': 'x-a, x-b' });
  });

  it('decorates an answer for an allowed origin, replaces the backend’s own CORS headers, and always varies on Origin', () => {
    const rules = new CorsRules(policy({ allowCredentials: true }));
    const allowed: IncomingHttpHeaders = { vary: 'Accept-Encoding', 'access-control-allow-origin': '*' };
    rules.decorate(allowed, 'https://app.example.com');
    expect(allowed).toEqual({ vary: 'Accept-Encoding, Origin', 'access-control-allow-origin': 'https://app.example.com', 'access-control-allow-credentials': 'true', 'access-control-expose-headers': 'x-request-id' });
    const other: IncomingHttpHeaders = { 'access-control-allow-origin': '*' };
    rules.decorate(other, 'https://evil.test');
    expect(other).toEqual({ vary: 'Origin' });
    const none: IncomingHttpHeaders = {};
    rules.decorate(none, undefined);
    expect(none).toEqual({ vary: 'Origin' });
  });
});
