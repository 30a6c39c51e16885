// The RoutePolicy CRD (crds/sluice/) and the translator agree: every field of the schema is one
// translate reads and one src/api/sluice.ts declares, every field translate reads is in the
// schema (the apiserver would prune it otherwise), and the enums, bounds and patterns are the
// same values.
import { describe, expect, it } from '@jest/globals';
import { WATCHED_KINDS } from '../../../src/api/kinds.js';
import type { KubeObject } from '../../../src/api/core.js';
import { MAX_ANCESTORS } from '../../../src/translate/policy/ancestors.js';
import { MAX_CACHE_BYTES, MAX_WAITERS } from '../../../src/translate/route-policy/caching.js';
import { COMPRESSION_TYPES, MAX_CONTENT_TYPES, MAX_MIN_LENGTH } from '../../../src/translate/route-policy/compression.js';
import { MAX_CORS_ITEMS } from '../../../src/translate/route-policy/cors.js';
import { MAX_AUTH_HEADERS } from '../../../src/translate/route-policy/forward-auth.js';
import { MAX_CIDRS } from '../../../src/translate/route-policy/ip-access.js';
import { HEADER_SELECTOR_TYPES, MAX_RATE_LIMIT_RULES, MAX_REQUESTS, MAX_SELECTOR_HEADERS, MAX_SELECTORS, RATE_LIMIT_TYPES, RATE_LIMIT_UNITS } from '../../../src/translate/route-policy/rate-limit.js';
import { MAX_TARGETS, TARGET_KINDS } from '../../../src/translate/route-policy/targets.js';
import { mediaTypeProblem, originProblem, parseQuantity, QUANTITY_PATTERN } from '../../../src/translate/route-policy/web.js';
import { headerNameProblem } from '../../../src/translate/policy/names.js';
import { canonicalCidr } from '../../../src/translate/route-policy/cidrs.js';
import { implementedFieldPaths, unimplementedFields } from '../../../src/translate/unimplemented.js';
import { everyField, loadCrd, schemaPaths } from '../support/crd-schema.js';
import { undeclaredFields } from '../support/declared-fields.js';

const { crd, version, root, spec, at } = loadCrd('sluice.dev_routepolicies.yaml');

describe('the RoutePolicy CRD', () => {
  it('is group sluice.dev, the version the store keeps, served and stored, namespaced, with a status subresource', () => {
    expect(`${crd.spec.group}/${version.name}`).toBe(WATCHED_KINDS.RoutePolicy);
    expect(crd.metadata.name).toBe(`${crd.spec.names.plural}.${crd.spec.group}`);
    expect([crd.spec.names.kind, crd.spec.scope, version.served, version.storage, version.subresources]).toEqual(['RoutePolicy', 'Namespaced', true, true, { status: {} }]);
  });

  it('has exactly the fields translate reads', () => {
    expect(schemaPaths(spec).sort()).toEqual(implementedFieldPaths('RoutePolicy').sort());
    const full = { apiVersion: WATCHED_KINDS.RoutePolicy, kind: 'RoutePolicy', metadata: { name: 'p' }, spec: everyField(spec) };
    expect(unimplementedFields(full as KubeObject)).toEqual([]);
    expect(undeclaredFields(full)).toEqual([]);
  });

  it('has the enums translate accepts', () => {
    expect(at('rateLimit.type').enum).toEqual([...RATE_LIMIT_TYPES]);
    expect(at('rateLimit.rules.limit.unit').enum).toEqual(Object.keys(RATE_LIMIT_UNITS));
    expect(at('rateLimit.rules.clientSelectors.headers.type').enum).toEqual([...HEADER_SELECTOR_TYPES]);
    expect(at('compression.types').items!.enum).toEqual([...COMPRESSION_TYPES]);
    // The target kinds, as the CEL rule on each targetRef spells them.
    const rule = (at('targetRefs').items as { 'x-kubernetes-validations': { rule: string }[] })['x-kubernetes-validations'][0]!.rule;
    for (const [kind, group] of Object.entries(TARGET_KINDS)) expect(rule).toContain(`self.group == '${group}' && `), expect(rule).toContain(`'${kind}'`);
  });

  it('has the bounds translate checks', () => {
    const bounds = (path: string) => [at(path).minimum, at(path).maximum];
    expect(bounds('rateLimit.rules.limit.requests')).toEqual([1, MAX_REQUESTS]);
    expect(bounds('rateLimit.rules.burst')).toEqual([1, MAX_REQUESTS]);
    expect(bounds('compression.minLength')).toEqual([0, MAX_MIN_LENGTH]);
    expect(bounds('coalescing.maxWaiters')).toEqual([1, MAX_WAITERS]);
    expect(bounds('forwardAuth.backendRef.port')).toEqual([1, 65535]);
    const maxItems = (path: string) => at(path).maxItems;
    expect([maxItems('targetRefs'), maxItems('rateLimit.rules'), maxItems('rateLimit.rules.clientSelectors'), maxItems('rateLimit.rules.clientSelectors.headers')]).toEqual([
      MAX_TARGETS,
      MAX_RATE_LIMIT_RULES,
      MAX_SELECTORS,
      MAX_SELECTOR_HEADERS,
    ]);
    expect([maxItems('compression.types'), maxItems('compression.contentTypes'), maxItems('ipAccess.allow'), maxItems('ipAccess.deny')]).toEqual([COMPRESSION_TYPES.length, MAX_CONTENT_TYPES, MAX_CIDRS, MAX_CIDRS]);
    for (const p of ['cors.allowOrigins', 'cors.allowMethods', 'cors.allowHeaders', 'cors.exposeHeaders']) expect([p, maxItems(p)]).toEqual([p, MAX_CORS_ITEMS]);
    for (const p of ['forwardAuth.headersToBackend', 'forwardAuth.headersToUpstream']) expect([p, maxItems(p)]).toEqual([p, MAX_AUTH_HEADERS]);
    expect(root.properties!['status']!.properties!['ancestors']!.maxItems).toBe(MAX_ANCESTORS);
    expect(MAX_CACHE_BYTES).toBeGreaterThan(1024 ** 3); // "1Gi" and more fit
  });

  it('checks durations with the Gateway API duration pattern and sizes with the quantity pattern translate reads', () => {
    const durations = ['cors.maxAge', 'forwardAuth.timeout', 'coalescing.timeout', 'cache.defaultTTL'];
    for (const p of durations) expect([p, at(p).pattern]).toEqual([p, '^([0-9]{1,5}(h|m|s|ms)){1,4}$']);
    expect(schemaPaths(spec).filter((p) => at(p).pattern === '^([0-9]{1,5}(h|m|s|ms)){1,4}$').sort()).toEqual([...durations].sort());
    for (const p of ['cache.maxSize', 'cache.maxObjectSize']) expect([p, at(p).pattern]).toEqual([p, QUANTITY_PATTERN]);
  });

  it('lets through exactly the values translate accepts, where a pattern can say it', () => {
    const agree = (path: string, accepts: (v: string) => boolean, samples: readonly string[]) => {
      const s = at(path);
      const pattern = new RegExp((s.type === 'array' ? s.items! : s).pattern!);
      for (const v of samples) expect([path, v, pattern.test(v)]).toEqual([path, v, accepts(v)]);
    };
    agree('cors.allowOrigins', (v) => originProblem(v) === undefined, ['*', 'https://a.example', 'https://*.example.com', 'http://localhost:8080', 'HTTPS://A', 'a.example', 'https://a.example/', 'https://*', 'https://a.*.b']);
    agree('compression.contentTypes', (v) => mediaTypeProblem(v) === undefined, ['text/*', 'application/json', 'image/svg+xml', '*/*', 'Text/html', 'text', 'text/html;q=1']);
    for (const p of ['cors.allowHeaders', 'cors.exposeHeaders', 'forwardAuth.headersToBackend', 'forwardAuth.headersToUpstream', 'rateLimit.rules.clientSelectors.headers.name']) {
      agree(p, (v) => headerNameProblem(v) === undefined, ['x-user-id', 'Authorization', 'x_y', 'a b', 'x:y', 'é']);
    }
    agree('cache.maxSize', (v) => parseQuantity(v) !== undefined, ['64Mi', '1Gi', '10k', '4096', '1.5Mi', '1MiB', '1m', '-1']);
    // CIDRs are checked by CEL (isCIDR/isIP); these samples are what the golden cases use.
    expect(['10.0.0.0/8', '192.0.2.7', '2001:db8::/32'].every((v) => 'cidr' in canonicalCidr(v))).toBe(true);
  });
});
