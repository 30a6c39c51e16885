// One BackendTrafficPolicy's spec (everything but targetRefs) → what it puts on a cluster, or
// every problem found. All blocks are read even after a problem, so the condition and the
// diagnostic name all of them at once.
import type { BackendTrafficPolicy } from '../../api/sluice.js';
import type { ClusterPolicy, LoadBalancerPolicy, SourceRef } from '../../table/types.js';
import { readCircuitBreaker } from './circuit-breaker.js';
import { Fields } from './fields.js';
import { readHealthCheck } from './health-check.js';
import { readLoadBalancer } from './load-balancer.js';
import { readProxyProtocol } from './proxy-protocol.js';
import { readRetry } from './retry.js';
import { readSessionPersistence } from './session-persistence.js';
import { readTimeouts } from './timeouts.js';

/** What a valid policy sets on each cluster it wins. */
export interface PolicyEffect {
  /** Absent: the cluster keeps its default (RoundRobin). */
  readonly loadBalancer?: LoadBalancerPolicy;
  readonly policy: ClusterPolicy;
}

export type SpecReading = { readonly ok: true; readonly effect: PolicyEffect } | { readonly ok: false; readonly problems: readonly string[] };

export function readPolicySpec(policy: BackendTrafficPolicy, source: SourceRef): SpecReading {
  const problems: string[] = [];
  const f = new Fields('spec', (m) => problems.push(m));
  const raw: unknown = policy.spec;
  const spec = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as Readonly<Record<string, unknown>>) : {};
  if (raw !== undefined && spec !== raw) f.invalid('must be an object');
  const loadBalancer = readLoadBalancer(spec['loadBalancer'], f);
  const sessionPersistence = readSessionPersistence(spec['sessionPersistence'], f);
  const healthCheck = readHealthCheck(spec['healthCheck'], f);
  const circuitBreaker = readCircuitBreaker(spec['circuitBreaker'], f);
  const retry = readRetry(spec['retry'], f);
  const timeouts = readTimeouts(spec['timeouts'], f);
  const proxyProtocol = readProxyProtocol(spec['proxyProtocol'], f);
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    effect: {
      ...(loadBalancer ? { loadBalancer } : {}),
      policy: {
        source,
        ...(sessionPersistence ? { sessionPersistence } : {}),
        ...(healthCheck ? { healthCheck } : {}),
        ...(circuitBreaker ? { circuitBreaker } : {}),
        ...(retry ? { retry } : {}),
        ...(timeouts ? { timeouts } : {}),
        ...(proxyProtocol ? { proxyProtocol } : {}),
      },
    },
  };
}
