// spec.loadBalancer → the table's LoadBalancerPolicy: the algorithm, its parameters, slow start.
import type { HashKey, LoadBalancerPolicy, LoadBalancerType } from '../../table/types.js';
import { POLICY_DEFAULTS } from './defaults.js';
import type { Fields } from './fields.js';
import { cookieNameProblem, cookiePathProblem, headerNameProblem, isPrime, queryParamNameProblem } from './names.js';

export const LOAD_BALANCER_TYPES: readonly LoadBalancerType[] = ['RoundRobin', 'LeastRequest', 'Random', 'ConsistentHash'];
export const HASH_TYPES = ['SourceIP', 'Header', 'Cookie', 'QueryParam'] as const;
/** Envoy's largest Maglev table; lookups stay O(1), memory is 4 bytes a slot per cluster. */
export const MAX_TABLE_SIZE = 5_000_011;
export const MAX_CHOICE_COUNT = 100;

export function readLoadBalancer(value: unknown, f: Fields): LoadBalancerPolicy | undefined {
  const spec = f.object(value, 'loadBalancer');
  if (!spec) return undefined;
  const lb = f.at('loadBalancer');
  const type = lb.oneOf(spec['type'], 'type', LOAD_BALANCER_TYPES) ?? POLICY_DEFAULTS.loadBalancer.type;
  const out: { -readonly [K in keyof LoadBalancerPolicy]: LoadBalancerPolicy[K] } = { type };

  const least = lb.object(spec['leastRequest'], 'leastRequest');
  if (least && type !== 'LeastRequest') lb.problem('leastRequest', `is only allowed with type LeastRequest, not ${type}`);
  if (type === 'LeastRequest') {
    const choiceCount = lb.at('leastRequest').integer(least?.['choiceCount'], 'choiceCount', 0, MAX_CHOICE_COUNT);
    if (choiceCount === 1) lb.at('leastRequest').problem('choiceCount', '1 would pick at random; use 0 (every endpoint) or 2 and more');
    out.choiceCount = choiceCount ?? POLICY_DEFAULTS.loadBalancer.choiceCount;
  }

  const hash = lb.object(spec['consistentHash'], 'consistentHash');
  if (hash && type !== 'ConsistentHash') lb.problem('consistentHash', `is only allowed with type ConsistentHash, not ${type}`);
  if (type === 'ConsistentHash') {
    if (!hash) lb.problem('consistentHash', 'is required with type ConsistentHash');
    else {
      const h = lb.at('consistentHash');
      const key = readHashKey(hash, h);
      const tableSize = h.integer(hash['tableSize'], 'tableSize', 2, MAX_TABLE_SIZE) ?? POLICY_DEFAULTS.loadBalancer.tableSize;
      if (!isPrime(tableSize)) h.problem('tableSize', `${tableSize} is not a prime (Maglev needs one, e.g. 65537)`);
      if (key) out.consistentHash = { key, tableSize };
    }
  }

  const slowStart = lb.object(spec['slowStart'], 'slowStart');
  if (slowStart) {
    // "0s" turns slow start off, so a policy can say so explicitly.
    const window = lb.at('slowStart').duration(slowStart['window'], 'window', 0);
    if (window === undefined && slowStart['window'] === undefined) lb.at('slowStart').problem('window', 'is required');
    if (window) out.slowStartMs = window;
  }
  return out;
}

function readHashKey(hash: Readonly<Record<string, unknown>>, h: Fields): HashKey | undefined {
  const type = h.oneOf(hash['type'], 'type', HASH_TYPES);
  if (hash['type'] === undefined) h.problem('type', `is required (one of ${HASH_TYPES.join(', ')})`);
  for (const block of ['header', 'cookie', 'queryParam'] as const) {
    const wanted = block === 'header' ? 'Header' : block === 'cookie' ? 'Cookie' : 'QueryParam';
    if (hash[block] !== undefined && type !== undefined && type !== wanted) h.problem(block, `is only allowed with type ${wanted}, not ${type}`);
  }
  const named = (block: 'header' | 'cookie' | 'queryParam', check: (s: string) => string | undefined): { obj: Readonly<Record<string, unknown>>; name: string } | undefined => {
    const obj = h.object(hash[block], block);
    const name = obj ? h.at(block).string(obj['name'], 'name', check) : undefined;
    if (hash[block] === undefined || (obj && obj['name'] === undefined)) h.problem(`${block}.name`, `is required with type ${type}`);
    return obj && name !== undefined ? { obj, name } : undefined;
  };
  switch (type) {
    case 'SourceIP':
      return { type };
    case 'Header': {
      const header = named('header', headerNameProblem);
      return header && { type, name: header.name.toLowerCase() };
    }
    case 'QueryParam': {
      const param = named('queryParam', queryParamNameProblem);
      return param && { type, name: param.name };
    }
    case 'Cookie': {
      const cookie = named('cookie', cookieNameProblem);
      if (!cookie) return undefined;
      const c = h.at('cookie');
      const ttlMs = c.duration(cookie.obj['ttl'], 'ttl');
      if (ttlMs !== undefined && ttlMs % 1000 !== 0) c.problem('ttl', 'must be a whole number of seconds (Max-Age)');
      const path = c.string(cookie.obj['path'], 'path', cookiePathProblem);
      return {
        type,
        name: cookie.name,
        ...(ttlMs !== undefined ? { ttlSeconds: Math.floor(ttlMs / 1000) } : {}),
        ...(path !== undefined ? { path } : {}),
      };
    }
    default:
      return undefined;
  }
}
