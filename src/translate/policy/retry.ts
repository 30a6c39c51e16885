// spec.retry → the table's RetryPolicy. Which requests may be retried at all (idempotent methods,
// or a body not sent yet; never once response bytes reached the client) is the data plane's
// rule, not configuration: retryOn only says which failures count.
import type { RetryOn, RetryPolicy } from '../../table/types.js';
import { MAX_TIMEOUT_MS } from '../../table/canonical.js';
import { POLICY_DEFAULTS } from './defaults.js';
import type { Fields } from './fields.js';

export const RETRY_ON: readonly RetryOn[] = ['connect-failure', 'reset', 'refused-stream', 'gateway-error', '5xx', 'retriable-status-codes'];
export const MAX_RETRIES = 10;
export const MAX_STATUS_CODES = 32;

/** The backoff of a retry policy: the base given (or 25 ms), its cap given or 10 × the base. */
export function retryBackoff(baseMs: number | undefined, maxMs?: number): RetryPolicy['backoff'] {
  const base = baseMs ?? POLICY_DEFAULTS.retry.baseMs;
  return { baseMs: base, maxMs: maxMs ?? Math.min(base * POLICY_DEFAULTS.retry.maxFactor, MAX_TIMEOUT_MS) };
}

/** Status codes a retry may be made on: integers 400-599, each once, sorted. */
export function readStatusCodes(value: unknown, name: string, f: Fields): number[] | undefined {
  const list = f.list(value, name, MAX_STATUS_CODES);
  if (!list) return undefined;
  const codes = new Set<number>();
  list.forEach((c, i) => {
    const code = f.integer(c, `${name}[${i}]`, 400, 599);
    if (code !== undefined && codes.has(code)) f.problem(`${name}[${i}]`, `${code} is listed twice`);
    if (code !== undefined) codes.add(code);
  });
  return [...codes].sort((a, b) => a - b);
}

export function readRetry(value: unknown, f: Fields): RetryPolicy | undefined {
  const spec = f.object(value, 'retry');
  if (!spec) return undefined;
  const r = f.at('retry');
  const d = POLICY_DEFAULTS.retry;
  const numRetries = r.integer(spec['numRetries'], 'numRetries', 0, MAX_RETRIES) ?? d.numRetries;
  const perTryTimeoutMs = r.duration(spec['perTryTimeout'], 'perTryTimeout');

  const retryOn: RetryOn[] = [];
  const on = r.list(spec['retryOn'], 'retryOn', RETRY_ON.length);
  on?.forEach((v, i) => {
    const cond = r.oneOf(v, `retryOn[${i}]`, RETRY_ON);
    if (cond !== undefined && retryOn.includes(cond)) r.problem(`retryOn[${i}]`, `${cond} is listed twice`);
    else if (cond !== undefined) retryOn.push(cond);
  });
  if (on && on.length === 0) r.problem('retryOn', 'must list at least one condition (numRetries: 0 turns retries off)');
  const conditions = on ? retryOn : [...d.retryOn];

  const codes = readStatusCodes(spec['retriableStatusCodes'], 'retriableStatusCodes', r) ?? [];
  const wantsCodes = conditions.includes('retriable-status-codes');
  if (wantsCodes && codes.length === 0) r.problem('retriableStatusCodes', 'must list at least one code when retryOn has retriable-status-codes');
  if (!wantsCodes && codes.length > 0) r.problem('retriableStatusCodes', 'is only used with retriable-status-codes in retryOn');

  const backoffSpec = r.object(spec['backoff'], 'backoff');
  const b = r.at('backoff');
  const baseMs = b.duration(backoffSpec?.['baseInterval'], 'baseInterval');
  const maxMs = b.duration(backoffSpec?.['maxInterval'], 'maxInterval');
  const backoff = retryBackoff(baseMs, maxMs);
  if (backoff.baseMs > backoff.maxMs) b.problem('baseInterval', 'must not be longer than maxInterval');

  const budgetSpec = r.object(spec['budget'], 'budget');
  const bu = r.at('budget');
  const budget = budgetSpec && {
    percent: bu.integer(budgetSpec['percent'], 'percent', 0, 100) ?? d.budgetPercent,
    minRetryConcurrency: bu.integer(budgetSpec['minRetryConcurrency'], 'minRetryConcurrency', 1, 2 ** 31 - 1) ?? d.minRetryConcurrency,
  };
  return {
    numRetries,
    ...(perTryTimeoutMs !== undefined ? { perTryTimeoutMs } : {}),
    retryOn: conditions,
    retriableStatusCodes: codes,
    backoff,
    ...(budget ? { budget } : {}),
  };
}
