// CORS rules: which origins match, what a preflight is answered, what an actual answer carries.
import { describe, expect, it } from '@jest/globals';
import type { IncomingHttpHeaders } from 'node:http';
import { CorsRules, withCorsHeaders } from '../../../../src/dataplane/route-policy/cors.js';
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

describe('CorsRules with the HTTPRoute CORS filter’s forms', () => {
  it('matches "scheme://*" (any host, default port), "scheme://*:port" and wildcards with ports', () => {
    const rules = new CorsRules(policy({ allowOrigins: ['https://*', 'http://*:8080', 'https://*.bar.com:8443'] }));
    expect(['https://a.test', 'https://a.b.test', 'http://x.test:8080', 'https://a.bar.com:8443', 'https://a.b.bar.com:8443'].map((o) => rules.allows(o))).toEqual([true, true, true, true, true]);
    expect(['http://a.test', 'https://a.test:8443', 'http://x.test', 'http://x.test:8081', 'http://a.bar.com:8443', 'https://bar.com:8443', 'https://a.test/path'].map((o) => rules.allows(o))).toEqual([false, false, false, false, false, false, false]);
  });

  it('treats the scheme’s default port as absent, in the policy and in the request', () => {
    const rules = new CorsRules(policy({ allowOrigins: ['https://a.test:443', 'http://b.test', 'https://*.c.test'] }));
    expect(['https://a.test', 'https://a.test:443', 'http://b.test:80', 'https://x.c.test:443'].map((o) => rules.allows(o))).toEqual([true, true, true, true]);
    expect(['http://a.test:443', 'https://b.test:80', 'http://b.test:8080'].map((o) => rules.allows(o))).toEqual([false, false, false]);
    // The answer carries the origin as the client sent it.
    expect(rules.preflight(preflight('https://a.test:443', 'GET'))!.headers['access-control-allow-origin']).toBe('https://a.test:443');
  });

  it('with credentials, echoes the request’s origin, method and headers for "*", never "*"', () => {
    const rules = new CorsRules(policy({ allowOrigins: ['*'], allowMethods: ['*'], allowHeaders: ['*'], exposeHeaders: [], allowCredentials: true, maxAgeSeconds: 5 }));
    const r = rules.preflight(preflight('https://other.foo.com', 'PUT', 'x-header-1, x-header-2'))!;
    expect(r.headers).toMatchObject({
      'access-control-allow-origin': 'https://other.foo.com',
      'access-control-allow-methods': 'PUT',
      'access-control-allow-headers': 'x-header-1, x-header-2',
      'access-control-allow-credentials': 'true',
      'access-control-max-age': '5',
    });
    const answer: IncomingHttpHeaders = {};
    rules.decorate(answer, 'https://other.foo.com');
    expect(answer).toEqual({ vary: 'Origin', 'access-control-allow-origin': 'https://other.foo.com', 'access-control-allow-credentials': 'true' });
  });

  it('sends no Allow-Methods without methods, and the expose headers on a preflight too', () => {
    const rules = new CorsRules(policy({ allowMethods: [], exposeHeaders: ['x-header-3', 'x-header-4'] }));
    const r = rules.preflight(preflight('https://app.example.com', 'GET'))!;
    expect(r.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(r.headers['access-control-allow-methods']).toBeUndefined();
    expect(r.headers['access-control-expose-headers']).toBe('x-header-3, x-header-4');
    // Only the safelisted methods pass without allowMethods.
    expect(rules.preflight(preflight('https://app.example.com', 'PUT'))!.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('withCorsHeaders (refusals of later checks)', () => {
  const rules = new CorsRules(policy({ allowCredentials: true }));
  const denied = { status: 401, headers: { 'www-authenticate': 'Basic realm="x"' }, body: 'unauthorized', reason: 'SLUICE_UNAUTHORIZED' };

  it('gives a refusal the headers an allowed origin’s answer gets, without changing the shared original', () => {
    const r = withCorsHeaders(rules, denied, 'https://a.shop.test');
    expect(r.headers).toEqual({ 'www-authenticate': 'Basic realm="x"', vary: 'Origin', 'access-control-allow-origin': 'https://a.shop.test', 'access-control-allow-credentials': 'true', 'access-control-expose-headers': 'x-request-id' });
    expect(r.status).toBe(401);
    expect(denied.headers).toEqual({ 'www-authenticate': 'Basic realm="x"' });
    expect(withCorsHeaders(rules, denied, 'https://evil.test').headers['access-control-allow-origin']).toBeUndefined();
  });

  it('leaves preflight answers and routes without CORS alone', () => {
    const refused = rules.preflight(preflight('https://a.shop.test', 'DELETE'))!;
    expect(withCorsHeaders(rules, refused, 'https://a.shop.test')).toBe(refused);
    expect(withCorsHeaders(undefined, denied, 'https://a.shop.test')).toBe(denied);
  });
});
