// The BackendTrafficPolicy CRD (crds/sluice/) and the translator agree: every field of the schema
// is one translate reads and one src/api/sluice.ts declares, every field translate reads is in the
// schema (the apiserver would prune it otherwise), and the enums and bounds are the same values.
import { describe, expect, it } from '@jest/globals';
import { MAX_CHOICE_COUNT, MAX_TABLE_SIZE, HASH_TYPES, LOAD_BALANCER_TYPES } from '../../../src/translate/policy/load-balancer.js';
import { MAX_EXPECTED_STATUSES, MAX_THRESHOLD, PROBE_METHODS } from '../../../src/translate/policy/health-check.js';
import { MAX_RETRIES, MAX_STATUS_CODES, RETRY_ON } from '../../../src/translate/policy/retry.js';
import { MAX_TARGETS } from '../../../src/translate/policy/targets.js';
import { MAX_ANCESTORS } from '../../../src/translate/policy/ancestors.js';
import { MAX_LIMIT } from '../../../src/translate/policy/circuit-breaker.js';
import { implementedFieldPaths, unimplementedFields } from '../../../src/translate/unimplemented.js';
import { WATCHED_KINDS } from '../../../src/api/kinds.js';
import type { KubeObject } from '../../../src/api/core.js';
import { everyField, loadCrd, schemaPaths } from '../support/crd-schema.js';
import { undeclaredFields } from '../support/declared-fields.js';

const { crd, version, root, spec, at } = loadCrd('sluice.dev_backendtrafficpolicies.yaml');

describe('the BackendTrafficPolicy CRD', () => {
  it('is group sluice.dev, the version the store keeps, served and stored, namespaced, with a status subresource', () => {
    expect(`${crd.spec.group}/${version.name}`).toBe(WATCHED_KINDS.BackendTrafficPolicy);
    expect(crd.metadata.name).toBe(`${crd.spec.names.plural}.${crd.spec.group}`);
    expect([crd.spec.names.kind, crd.spec.scope, version.served, version.storage, version.subresources]).toEqual(['BackendTrafficPolicy', 'Namespaced', true, true, { status: {} }]);
  });

  it('has exactly the fields translate reads', () => {
    expect(schemaPaths(spec).sort()).toEqual(implementedFieldPaths('BackendTrafficPolicy').sort());
    const full = { apiVersion: WATCHED_KINDS.BackendTrafficPolicy, kind: 'BackendTrafficPolicy', metadata: { name: 'p' }, spec: everyField(spec) };
    expect(unimplementedFields(full as KubeObject)).toEqual([]);
    expect(undeclaredFields(full)).toEqual([]);
  });

  it('has the enums translate accepts', () => {
    expect(at('loadBalancer.type').enum).toEqual([...LOAD_BALANCER_TYPES]);
    expect(at('loadBalancer.consistentHash.type').enum).toEqual([...HASH_TYPES]);
    expect(at('healthCheck.active.http.method').enum).toEqual([...PROBE_METHODS]);
    expect(at('retry.retryOn').items!.enum).toEqual([...RETRY_ON]);
    expect(at('sessionPersistence.type').enum).toEqual(['Cookie', 'Header']);
    expect(at('healthCheck.active.type').enum).toEqual(['HTTP', 'TCP']);
  });

  it('has the bounds translate checks', () => {
    const bounds = (path: string) => [at(path).minimum, at(path).maximum];
    expect(bounds('loadBalancer.consistentHash.tableSize')).toEqual([2, MAX_TABLE_SIZE]);
    expect(bounds('loadBalancer.leastRequest.choiceCount')).toEqual([0, MAX_CHOICE_COUNT]);
    expect(bounds('retry.numRetries')).toEqual([0, MAX_RETRIES]);
    expect(bounds('healthCheck.active.healthyThreshold')).toEqual([1, MAX_THRESHOLD]);
    expect(bounds('healthCheck.passive.consecutiveGatewayErrors')).toEqual([1, MAX_THRESHOLD]);
    expect(bounds('healthCheck.passive.maxEjectionPercent')).toEqual([0, 100]);
    expect(bounds('healthCheck.panicThreshold')).toEqual([0, 100]);
    expect(bounds('retry.budget.percent')).toEqual([0, 100]);
    expect(bounds('healthCheck.active.http.expectedStatuses.start')).toEqual([100, 599]);
    expect(bounds('retry.retriableStatusCodes')).toEqual([undefined, undefined]);
    expect([at('retry.retriableStatusCodes').items!.minimum, at('retry.retriableStatusCodes').items!.maximum]).toEqual([400, 599]);
    expect(at('circuitBreaker.maxConnections').minimum).toBe(1);
    expect(2 ** 31 - 1).toBe(MAX_LIMIT); // int32, as the CRD's format says
    expect([at('targetRefs').maxItems, at('retry.retriableStatusCodes').maxItems, at('healthCheck.active.http.expectedStatuses').maxItems]).toEqual([
      MAX_TARGETS,
      MAX_STATUS_CODES,
      MAX_EXPECTED_STATUSES,
    ]);
    expect(root.properties!['status']!.properties!['ancestors']!.maxItems).toBe(MAX_ANCESTORS);
  });

  it('checks every duration with the Gateway API duration pattern', () => {
    const durations = schemaPaths(spec).filter((p) => /(ttl|window|Timeout|timeout|interval|Interval|Time|Jitter|connect|request|idle)$/.test(p) && at(p).type === 'string');
    expect(durations.length).toBe(16);
    for (const p of durations) expect([p, at(p).pattern]).toEqual([p, '^([0-9]{1,5}(h|m|s|ms)){1,4}$']);
  });
});
