// Passive health of one endpoint in one cluster: consecutive-failure counters, the ejection
// level (k-th ejection lasts base × 2^(k-1), capped) and its decay, and the half-open trial
// after an ejection ends. Pure state and arithmetic on a clock the caller passes in; the cluster
// (endpoint-health.ts) decides whether an ejection may happen (max ejection percent).
import type { OutlierDetection } from '../../table/types.js';

export type EjectionReason = 'consecutive_5xx' | 'consecutive_gateway_errors' | 'unreachable';

/** What counts and how long ejections last; resolved once per policy. */
export interface OutlierRules {
  /** Consecutive 5xx (and broken or unreachable attempts) that eject; Infinity: not counted. */
  readonly consecutive5xx: number;
  /** Consecutive 502/503/504 (and broken or unreachable attempts) that eject; Infinity: not counted. */
  readonly consecutiveGatewayErrors: number;
  readonly baseEjectionMs: number;
  readonly maxEjectionMs: number;
  /** The first level whose length reaches maxEjectionMs: the level stops climbing there. */
  readonly maxLevel: number;
  readonly maxEjectionPercent: number;
  /** The ejection level drops by one per interval of good behaviour; Infinity: never by itself. */
  readonly intervalMs: number;
  /**
   * Any answer clears the endpoint's history and ends its ejection (the default rules: only
   * unreachable endpoints are ejected, and one that answers again is back at once).
   */
  readonly answerForgives: boolean;
}

/**
 * Without an outlier-detection policy: an unreachable endpoint is ejected for 1 s, 2 s, 4 s …
 * up to 30 s while it keeps failing, and any answer clears it. Rolling updates rely on this to
 * keep requests off pods that stopped listening before their EndpointSlice said so.
 */
export const DEFAULT_RULES: OutlierRules = {
  consecutive5xx: Infinity,
  consecutiveGatewayErrors: Infinity,
  baseEjectionMs: 1000,
  maxEjectionMs: 30_000,
  maxLevel: levelOfCap(1000, 30_000),
  maxEjectionPercent: 100,
  intervalMs: Infinity,
  answerForgives: true,
};

export function outlierRules(passive: OutlierDetection | undefined): OutlierRules {
  if (!passive) return DEFAULT_RULES;
  const base = passive.baseEjectionMs;
  const max = Math.max(passive.maxEjectionMs, base);
  return {
    consecutive5xx: passive.consecutive5xx ?? Infinity,
    consecutiveGatewayErrors: passive.consecutiveGatewayErrors ?? Infinity,
    baseEjectionMs: base,
    maxEjectionMs: max,
    maxLevel: levelOfCap(base, max),
    maxEjectionPercent: passive.maxEjectionPercent,
    intervalMs: passive.intervalMs > 0 ? passive.intervalMs : Infinity,
    answerForgives: false,
  };
}

/** The smallest k with base × 2^(k-1) ≥ max. */
function levelOfCap(base: number, max: number): number {
  if (base <= 0) return 1;
  return Math.max(1, Math.ceil(Math.log2(max / base)) + 1);
}

/** Whether a failure of this kind counts under these rules (unreachable always does). */
export function counts(failure: Failure, rules: OutlierRules): boolean {
  switch (failure) {
    case 'unreachable':
      return true;
    case '5xx':
      return rules.consecutive5xx !== Infinity;
    case 'gateway':
    case 'broke':
      return rules.consecutive5xx !== Infinity || rules.consecutiveGatewayErrors !== Infinity;
  }
}

/** How one attempt went, as outlier detection classifies it. */
export type Failure =
  /** Never reached: ejects at once (a local-origin failure). */
  | 'unreachable'
  /** Reached, then the connection broke or timed out before an answer: counts as a gateway error. */
  | 'broke'
  /** Answered 502, 503 or 504. */
  | 'gateway'
  /** Answered another 5xx. */
  | '5xx';

export class OutlierState {
  consecutive5xx = 0;
  consecutiveGateway = 0;
  /** Consecutive counted failures, for /debug/routes. */
  failures = 0;
  /** Times ejected (for /debug/routes). */
  ejections = 0;
  /** The level of the latest ejection (k); it decays from `calmSince`. */
  level = 0;
  /** The ejection lasts until then. */
  until = 0;
  /** The ejection ended (or will end) and no attempt has decided the trial yet. */
  trial = false;
  /** Since when the endpoint behaves (not ejected, trial passed): the level decays from here. */
  calmSince = 0;
  /** The latest active-check verdict; undefined: none received. */
  active: boolean | undefined;

  ejected(now: number): boolean {
    return now < this.until;
  }

  /** Excluded from picks: passively ejected or actively unhealthy. */
  excluded(now: number): boolean {
    return this.active === false || now < this.until;
  }

  /** The ejection level now, after decay (no decay while ejected or on trial). */
  levelAt(now: number, rules: OutlierRules): number {
    if (this.level === 0 || this.trial || now < this.until) return this.level;
    return Math.max(0, this.level - Math.floor((now - this.calmSince) / rules.intervalMs));
  }

  /**
   * Counts a failure; returns why the endpoint should be ejected now, if it should. Failures
   * while ejected are ignored (they come from attempts sent before the ejection).
   */
  fail(failure: Failure, now: number, rules: OutlierRules): EjectionReason | undefined {
    if (now < this.until) return undefined;
    this.failures++;
    this.consecutive5xx++;
    if (failure === '5xx') this.consecutiveGateway = 0;
    else this.consecutiveGateway++;
    if (failure === 'unreachable') return 'unreachable';
    const gateway = failure !== '5xx' && rules.consecutiveGatewayErrors !== Infinity;
    // On trial, the first failure decides: straight back out, for longer.
    if (this.trial) return gateway ? 'consecutive_gateway_errors' : 'consecutive_5xx';
    if (this.consecutiveGateway >= rules.consecutiveGatewayErrors) return 'consecutive_gateway_errors';
    if (this.consecutive5xx >= rules.consecutive5xx) return 'consecutive_5xx';
    return undefined;
  }

  /** Ejects: the next level's length from now; the trial follows when it ends. */
  eject(now: number, rules: OutlierRules): void {
    // The level stops climbing at the cap, so good behaviour brings it below the cap sooner.
    this.level = Math.min(this.levelAt(now, rules) + 1, rules.maxLevel);
    this.until = now + Math.min(rules.maxEjectionMs, rules.baseEjectionMs * 2 ** (this.level - 1));
    this.trial = true;
    this.ejections++;
    this.consecutive5xx = 0;
    this.consecutiveGateway = 0;
  }

  /** A good answer: counters reset; a pending trial passes (the level decays from now). */
  succeed(now: number): void {
    this.failures = 0;
    this.consecutive5xx = 0;
    this.consecutiveGateway = 0;
    if (this.trial && now >= this.until) {
      this.trial = false;
      this.calmSince = now;
    }
  }

  /** Clears everything passive (the default rules, on any answer). */
  forgive(): void {
    this.consecutive5xx = 0;
    this.consecutiveGateway = 0;
    this.failures = 0;
    this.ejections = 0;
    this.level = 0;
    this.until = 0;
    this.trial = false;
  }

  /** Nothing left worth keeping: no counters, no ejection or trial, decayed, no active verdict. */
  idle(now: number, rules: OutlierRules): boolean {
    return this.failures === 0 && !this.trial && this.active === undefined && this.levelAt(now, rules) === 0;
  }
}

