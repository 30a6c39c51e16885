// spec.rateLimit → RateLimitPolicy: token buckets of `burst` tokens refilled at `requests` per
// `unit`, one bucket per rule and key (the client selectors say which requests a rule counts and
// what keys it: Distinct headers give every value its own bucket).
import type { RateLimitHeaderSelector, RateLimitPolicy, RateLimitRule } from '../../table/types.js';
import type { Fields } from '../policy/fields.js';
import { headerNameProblem } from '../policy/names.js';
import { readCidr } from './cidrs.js';
import { ROUTE_POLICY_DEFAULTS } from './defaults.js';

export const RATE_LIMIT_TYPES = ['Local', 'Global'] as const;
export const RATE_LIMIT_UNITS = { Second: 1000, Minute: 60_000, Hour: 3_600_000 } as const;
export const HEADER_SELECTOR_TYPES = ['Exact', 'Distinct'] as const;
export const MAX_RATE_LIMIT_RULES = 16;
export const MAX_SELECTORS = 8;
export const MAX_SELECTOR_HEADERS = 8;
export const MAX_REQUESTS = 1_000_000;

export function readRateLimit(value: unknown, f: Fields): RateLimitPolicy | undefined {
  const spec = f.object(value, 'rateLimit');
  if (!spec) return undefined;
  const r = f.at('rateLimit');
  const type = r.oneOf(spec['type'], 'type', RATE_LIMIT_TYPES) ?? ROUTE_POLICY_DEFAULTS.rateLimit.type;
  const list = r.list(spec['rules'], 'rules', MAX_RATE_LIMIT_RULES);
  if (!list || list.length === 0) r.problem('rules', 'must have at least one rule');
  const rules: RateLimitRule[] = [];
  (list ?? []).forEach((item, i) => {
    const rule = readRule(r.object(item, `rules[${i}]`), r.at(`rules[${i}]`));
    if (rule) rules.push(rule);
  });
  return { type, rules };
}

function readRule(spec: Readonly<Record<string, unknown>> | undefined, f: Fields): RateLimitRule | undefined {
  if (!spec) return undefined;
  const limit = f.object(spec['limit'], 'limit');
  if (!limit) return void f.problem('limit', 'is required');
  const l = f.at('limit');
  const requests = l.integer(limit['requests'], 'requests', 1, MAX_REQUESTS);
  if (limit['requests'] === undefined) l.problem('requests', 'is required');
  const unit = l.oneOf(limit['unit'], 'unit', Object.keys(RATE_LIMIT_UNITS) as (keyof typeof RATE_LIMIT_UNITS)[]);
  if (limit['unit'] === undefined) l.problem('unit', 'is required');
  const burst = f.integer(spec['burst'], 'burst', 1, MAX_REQUESTS);
  if (requests !== undefined && burst !== undefined && burst < requests) f.problem('burst', `${burst} is below limit.requests (${requests}); the bucket must hold at least one unit's requests`);
  const selectors = f.list(spec['clientSelectors'], 'clientSelectors', MAX_SELECTORS) ?? [];
  const clientSelectors = selectors.map((item, i) => readSelector(f.object(item, `clientSelectors[${i}]`), f.at(`clientSelectors[${i}]`)));
  if (requests === undefined || unit === undefined) return undefined;
  return { clientSelectors, requests, unitMs: RATE_LIMIT_UNITS[unit], burst: burst ?? requests };
}

function readSelector(spec: Readonly<Record<string, unknown>> | undefined, f: Fields): RateLimitRule['clientSelectors'][number] {
  if (!spec) return {};
  const cidr = readCidr((check) => f.string(spec['sourceCIDR'], 'sourceCIDR', check));
  const headers: RateLimitHeaderSelector[] = [];
  const list = f.list(spec['headers'], 'headers', MAX_SELECTOR_HEADERS) ?? [];
  list.forEach((item, i) => {
    const h = f.object(item, `headers[${i}]`);
    if (!h) return;
    const hf = f.at(`headers[${i}]`);
    const name = hf.string(h['name'], 'name', headerNameProblem);
    if (h['name'] === undefined) hf.problem('name', 'is required');
    const type = hf.oneOf(h['type'], 'type', HEADER_SELECTOR_TYPES) ?? 'Exact';
    const value = hf.string(h['value'], 'value', (s) => (s.length <= 4096 && !/[\r\n\0]/.test(s) ? undefined : 'must be at most 4096 characters without CR, LF or NUL'));
    if (type === 'Exact' && h['value'] === undefined) hf.problem('value', 'is required with type Exact');
    if (type === 'Distinct' && h['value'] !== undefined) hf.problem('value', 'must not be set with type Distinct (every value has its own bucket)');
    if (name !== undefined) headers.push({ name: name.toLowerCase(), type, ...(value !== undefined && type === 'Exact' ? { value } : {}) });
  });
  if (spec['sourceCIDR'] === undefined && list.length === 0) f.invalid('must set sourceCIDR or headers');
  return {
    ...(cidr !== undefined ? { sourceCIDRs: [cidr] } : {}),
    ...(headers.length > 0 ? { headers } : {}),
  };
}
