// Gateway API durations (GEP-2257), as HTTPRoute `timeouts` carry them. Stricter than the
// flag parser in duration.ts on purpose: a value the Gateway API CRDs reject (`1.5s`, `100000s`,
// five parts) must not be served from a manifest that never met the apiserver (file mode)
// either. The grammar is the CRDs' pattern; the GEP allows parts in any order and repeated
// units (`10s30m1h`, `100ms200ms`), each part adding to the total, like Go's time.ParseDuration.

const GRAMMAR = /^([0-9]{1,5}(h|m|s|ms)){1,4}$/;
/** `ms` before `m`, so "5ms" is five milliseconds, not five minutes followed by "s". */
const PART = /([0-9]{1,5})(ms|h|m|s)/g;
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** What an API duration looks like, for messages about one that is not. */
export const API_DURATION_SYNTAX = 'one to four parts of 1-5 digits and a unit h, m, s or ms, e.g. 10s, 1m30s or 500ms';

/** Milliseconds of a GEP-2257 duration ("1h30m", "500ms", "0s"); undefined when it is not one. */
export function parseApiDuration(text: string): number | undefined {
  if (typeof text !== 'string' || !GRAMMAR.test(text)) return undefined; // YAML may give a number
  let total = 0;
  for (const [, digits, unit] of text.matchAll(PART)) total += Number(digits) * UNIT_MS[unit!]!;
  return total;
}
