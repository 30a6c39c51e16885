// Rate limits of a route: every rule whose client selectors match the request takes one token
// from its bucket; if any bucket is empty the answer is 429 with Retry-After and the IETF
// RateLimit-Policy / RateLimit headers (draft-ietf-httpapi-ratelimit-headers). A bucket is per
// rule, matching selector and the values of its Distinct headers; sourceCIDRs select, they do
// not split (one bucket for the whole range, as Envoy's Exact type). Local buckets live in this
// process (1/N of the limit each with --workers N, see services.ts); Global ones in Redis, one
// pipelined round trip per request, and a Redis that cannot answer lets the request through.
import { createHash } from 'node:crypto';
import { Answers } from '../../errors.js';
import type { RateLimitPolicy, RateLimitRule } from '../../table/types.js';
import { createTrustedMatcher } from '../edge/trusted.js';
import { type Admission, type Check, type Rejection, rejection, type Verdict } from './check.js';
import { rateLimitCounter } from './counters.js';
import type { AdmissionServices } from './services.js';
import { bucketShape, type BucketShape, type LocalBuckets, type Take } from './token-bucket.js';

/** Keys longer than this (long Distinct header values) are stored as their hash. */
const MAX_KEY_LENGTH = 128;

interface CompiledSelector {
  readonly source: ((address: string) => boolean) | undefined;
  readonly exact: readonly (readonly [name: string, value: string])[];
  readonly distinct: readonly string[];
}

function compileSelector(s: RateLimitRule['clientSelectors'][number]): CompiledSelector {
  const headers = s.headers ?? [];
  return {
    source: s.sourceCIDRs && s.sourceCIDRs.length > 0 ? createTrustedMatcher(s.sourceCIDRs) : undefined,
    exact: headers.filter((h) => h.type === 'Exact').map((h) => [h.name, h.value ?? ''] as const),
    distinct: headers.filter((h) => h.type === 'Distinct').map((h) => h.name),
  };
}

function headerValue(a: Admission, name: string): string | undefined {
  const v = a.req.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

/** The bucket key of a request under one rule, or undefined when no selector matches it. */
export function bucketKey(rule: number, selectors: readonly CompiledSelector[], a: Admission): string | undefined {
  if (selectors.length === 0) return `${rule}`;
  for (let i = 0; i < selectors.length; i++) {
    const s = selectors[i]!;
    if (s.source && !s.source(a.plan.client.address)) continue;
    let ok = true;
    for (const [name, value] of s.exact) if (headerValue(a, name) !== value) ok = false;
    if (!ok) continue;
    let key = `${rule}.${i}`;
    for (const name of s.distinct) {
      const v = headerValue(a, name);
      // A Distinct header the request lacks: this selector does not apply.
      if (v === undefined) {
        ok = false;
        break;
      }
      key += `\0${v}`;
    }
    if (!ok) continue;
    return key.length > MAX_KEY_LENGTH ? `${rule}.${i}#${createHash('sha256').update(key).digest('base64url')}` : key;
  }
  return undefined;
}

class CompiledRule {
  readonly index: number;
  readonly rule: RateLimitRule;
  readonly selectors: readonly CompiledSelector[];
  readonly id: string;
  /** RateLimit-Policy item: quota q per window w seconds. */
  readonly policyItem: string;
  readonly windowSeconds: number;
  /** The whole limit, shared through Redis. */
  readonly globalShape: BucketShape;
  private local: LocalBuckets | undefined;
  private localFor: AdmissionServices | undefined;

  constructor(routeId: string, index: number, rule: RateLimitRule) {
    this.index = index;
    this.rule = rule;
    this.selectors = rule.clientSelectors.map(compileSelector);
    this.id = `${routeId}#${index}`;
    this.windowSeconds = Math.max(1, Math.round(rule.unitMs / 1000));
    this.policyItem = `"r${index}";q=${rule.requests};w=${this.windowSeconds}`;
    this.globalShape = bucketShape(rule);
  }

  /** This process's buckets of the rule (its 1/N share). */
  buckets(services: AdmissionServices): LocalBuckets {
    if (this.localFor !== services) {
      this.localFor = services;
      this.local = services.localBuckets(this.id, bucketShape(this.rule, services.localShare));
    }
    return this.local!;
  }
}

/** The 429 of the rule whose bucket was empty. */
function limited(rule: CompiledRule, take: Take): Rejection {
  const seconds = Math.max(1, Math.ceil(take.retryAfterMs / 1000));
  return rejection(Answers.RateLimited, {
    'retry-after': String(seconds),
    'ratelimit-policy': rule.policyItem,
    ratelimit: `"r${rule.index}";r=0;t=${seconds}`,
  });
}

export function rateLimitCheck(routeId: string, policy: RateLimitPolicy): Check {
  const rules = policy.rules.map((r, i) => new CompiledRule(routeId, i, r));
  const counter = rateLimitCounter(routeId);
  const globalPrefix = `sluice:rl:${routeId}:`;

  const local = (a: Admission): Verdict => {
    let verdict: Verdict;
    let matched = false;
    for (const rule of rules) {
      const key = bucketKey(rule.index, rule.selectors, a);
      if (key === undefined) continue;
      matched = true;
      const take = rule.buckets(a.services).take(key);
      if (!take.allowed) {
        verdict = limited(rule, take);
        break;
      }
    }
    if (matched) counter.count(a.ctx.metrics, verdict ? 'limited' : 'allowed');
    return verdict;
  };

  if (policy.type === 'Local') return local;

  return (a) => {
    const global = a.services.global;
    if (!global) {
      // Global without --redis-url: still limit, per process, rather than not at all.
      a.services.warnOnce('ratelimit-no-redis', 'a Global rate limit needs --redis-url: limiting per process instead', { route: routeId });
      return local(a);
    }
    const takes: Promise<Take | undefined>[] = [];
    const taken: CompiledRule[] = [];
    for (const rule of rules) {
      const key = bucketKey(rule.index, rule.selectors, a);
      if (key === undefined) continue;
      // Issued in one tick: the Redis client pipelines them into one round trip.
      takes.push(global.take(globalPrefix + key, rule.globalShape));
      taken.push(rule);
    }
    if (takes.length === 0) return undefined;
    return Promise.all(takes).then((results) => {
      let failed = false;
      for (let i = 0; i < results.length; i++) {
        const take = results[i];
        if (take === undefined) failed = true;
        else if (!take.allowed) {
          counter.count(a.ctx.metrics, 'limited');
          return limited(taken[i]!, take);
        }
      }
      counter.count(a.ctx.metrics, failed ? 'error' : 'allowed');
      return undefined;
    });
  };
}
