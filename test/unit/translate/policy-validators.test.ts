// The policy readers on their own, for what the golden files show poorly: limits, clamping,
// derived defaults and precedence corner cases.
import { describe, expect, it } from '@jest/globals';
import type { Service } from '../../../src/api/core.js';
import { validateTable } from '../../../src/table/validate.js';
import { forEachJunkField } from '../support/junk-policy.js';
import type { BackendTrafficPolicy } from '../../../src/api/sluice.js';
import { MAX_TIMEOUT_MS } from '../../../src/table/canonical.js';
import { Fields } from '../../../src/translate/policy/fields.js';
import { readHealthCheck } from '../../../src/translate/policy/health-check.js';
import { readLoadBalancer } from '../../../src/translate/policy/load-balancer.js';
import { isPrime } from '../../../src/translate/policy/names.js';
import { readRetry } from '../../../src/translate/policy/retry.js';
import { resolveConflicts, type Candidate } from '../../../src/translate/policy/targets.js';

function reader(): { f: Fields; problems: string[] } {
  const problems: string[] = [];
  return { f: new Fields('spec', (m) => problems.push(m)), problems };
}

describe('isPrime', () => {
  it('tells primes from the rest', () => {
    expect([2, 3, 5, 251, 65537, 5_000_011].map(isPrime)).toEqual([true, true, true, true, true, true]);
    expect([0, 1, 4, 9, 65536, 65535, 5_000_009, 2.5, -7].map(isPrime)).toEqual([false, false, false, false, false, false, false, false, false]);
    // brute force over a small range agrees
    const sieve = (n: number) => n > 1 && [...Array(n).keys()].slice(2).every((d) => n % d !== 0);
    for (let n = 0; n < 500; n++) expect([n, isPrime(n)]).toEqual([n, sieve(n)]);
  });
});

describe('Fields', () => {
  it('reads durations: zero only where allowed, the longest a timer can wait at most', () => {
    const { f, problems } = reader();
    expect(f.duration('1h30m', 'a')).toBe(5_400_000);
    expect(f.duration('99999h', 'b')).toBe(MAX_TIMEOUT_MS);
    expect(f.duration('0s', 'c', 0)).toBe(0);
    expect(f.duration('0s', 'd')).toBeUndefined();
    expect(f.duration(5, 'e')).toBeUndefined();
    expect(f.duration(undefined, 'f')).toBeUndefined();
    expect(problems).toEqual([
      'spec.d: must be longer than 0s',
      'spec.e: 5 is not a Gateway API duration (one to four parts of 1-5 digits and a unit h, m, s or ms, e.g. 10s, 1m30s or 500ms)',
    ]);
  });
});

describe('derived defaults', () => {
  it('a probe timeout never defaults above a short interval; the ejection cap never below the base', () => {
    const { f, problems } = reader();
    const hc = readHealthCheck({ active: { interval: '300ms' }, passive: { baseEjectionTime: '10m' } }, f)!;
    expect([hc.active!.intervalMs, hc.active!.timeoutMs]).toEqual([300, 300]);
    expect([hc.passive!.baseEjectionMs, hc.passive!.maxEjectionMs, hc.passive!.consecutive5xx]).toEqual([600_000, 600_000, 5]);
    expect(problems).toEqual([]);
  });

  it('one passive counter given: the other is not counted, and 5xx is not defaulted', () => {
    const { f } = reader();
    const hc = readHealthCheck({ passive: { consecutiveGatewayErrors: 2 } }, f)!;
    expect(hc.passive).not.toHaveProperty('consecutive5xx');
    expect(hc.passive!.consecutiveGatewayErrors).toBe(2);
    expect(hc.active).toBeUndefined();
  });

  it('retry backoff cap: 10 × the base given, the max given as is', () => {
    const { f, problems } = reader();
    expect(readRetry({ backoff: { baseInterval: '40ms' } }, f)!.backoff).toEqual({ baseMs: 40, maxMs: 400 });
    expect(readRetry({ backoff: { maxInterval: '1s' } }, f)!.backoff).toEqual({ baseMs: 25, maxMs: 1000 });
    expect(readRetry({ backoff: { maxInterval: '10ms' } }, f)).toBeDefined();
    expect(problems).toEqual(['spec.retry.backoff.baseInterval: must not be longer than maxInterval']);
  });

  it('LeastRequest without leastRequest gets power of two choices; slowStart 0s is off', () => {
    const { f, problems } = reader();
    expect(readLoadBalancer({ type: 'LeastRequest', slowStart: { window: '0s' } }, f)).toEqual({ type: 'LeastRequest', choiceCount: 2 });
    expect(readLoadBalancer({}, f)).toEqual({ type: 'RoundRobin' });
    expect(problems).toEqual([]);
  });
});

function svc(name: string, ports: { name?: string; port: number }[]): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'ns' }, spec: { ports } };
}

function candidate(name: string, service: string, sectionName?: string, created?: string): Candidate<string> {
  const policy: BackendTrafficPolicy = {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'BackendTrafficPolicy',
    metadata: { name, namespace: 'ns', ...(created ? { creationTimestamp: created } : {}) },
  };
  return { owner: name, policy, target: { index: 0, namespace: 'ns', service, ...(sectionName ? { sectionName } : {}) } };
}

describe('resolveConflicts', () => {
  it('a port policy takes its port; the whole-Service policy keeps the others, an unnamed one included', () => {
    const services = new Map([['ns/web', svc('web', [{ port: 80 }, { name: 'admin', port: 9000 }])]]);
    const whole = candidate('whole', 'web', undefined, '2020-01-01T00:00:00Z');
    const admin = candidate('admin', 'web', 'admin', '2026-01-01T00:00:00Z');
    const r = resolveConflicts([whole, admin], services);
    expect(Object.fromEntries(r.winners.get('ns/web')!)).toEqual({ '': 'whole', admin: 'admin' });
    expect(r.outcomes.get(whole)).toEqual({ type: 'applied', overridden: [{ port: 'admin', by: 'admin' }] });
    expect(r.outcomes.get(admin)).toEqual({ type: 'applied', overridden: [] });
  });

  it('the oldest wins a shared target whatever the order given; a Service without ports is not a conflict', () => {
    const services = new Map([['ns/web', svc('web', [{ name: 'http', port: 80 }])], ['ns/none', svc('none', [])]]);
    const young = candidate('a-young', 'web', 'http', '2026-05-01T00:00:00Z');
    const old = candidate('z-old', 'web', 'http', '2026-01-01T00:00:00Z');
    for (const order of [[young, old], [old, young]]) {
      const r = resolveConflicts(order, services);
      expect(r.winners.get('ns/web')!.get('http')).toBe('z-old');
      expect(r.outcomes.get(young)).toEqual({ type: 'conflicted', winners: ['z-old'], why: 'older' });
    }
    const lonely = candidate('lonely', 'none');
    const r = resolveConflicts([lonely], services);
    expect(r.outcomes.get(lonely)).toEqual({ type: 'applied', overridden: [] });
    expect(r.winners.get('ns/none')!.size).toBe(0);
  });
});

describe('junk in any field', () => {
  it('never throws: each policy is Accepted or Invalid, and the table stays valid', () => {
    let invalid = 0;
    const paths = forEachJunkField('BackendTrafficPolicy', { group: '', kind: 'Service', name: 'web' }, (path, value, result) => {
      expect(validateTable(result.table)).toEqual([]);
      const status = result.statuses.find((s) => s.kind === 'BackendTrafficPolicy');
      const reason = status?.kind === 'BackendTrafficPolicy' ? (status.ancestors[0]?.conditions[0]?.reason ?? 'none') : 'missing';
      expect([path, value, ['Accepted', 'Invalid', 'TargetNotFound', 'none']]).toEqual([path, value, expect.arrayContaining([reason])]);
      if (reason === 'Invalid') invalid++;
      // Each reader names what is wrong; none falls through to the catch-all.
      expect([path, value, result.diagnostics.some((d) => d.message.includes('malformed BackendTrafficPolicy'))]).toEqual([path, value, false]);
    });
    expect(invalid).toBeGreaterThan(paths * 5); // most junk is refused, not quietly used
  });
});
