// GEP-2257's own test vectors (geps/gep-2257 "Test Vectors"), plus the values the flag parser
// accepts and the API must not.
import { describe, expect, it } from '@jest/globals';
import { parseApiDuration } from '../../../src/config/api-duration.js';
import { parseDuration } from '../../../src/config/duration.js';

const H = 3_600_000;
const M = 60_000;
const S = 1000;

describe('parseApiDuration (GEP-2257)', () => {
  it('accepts the GEP valid vectors, in any unit order and with repeated units', () => {
    const valid: [string, number][] = [
      ['0h', 0],
      ['0s', 0],
      ['0h0m0s', 0],
      ['1h', H],
      ['30m', 30 * M],
      ['10s', 10 * S],
      ['500ms', 500],
      ['2h30m', 2 * H + 30 * M],
      ['150m', 150 * M],
      ['7230s', 7230 * S],
      ['1h30m10s', H + 30 * M + 10 * S],
      ['10s30m1h', H + 30 * M + 10 * S],
      ['100ms200ms300ms', 600],
      ['1h2h20m10m', 3 * H + 30 * M],
      ['01h', H],
      ['00060m', H],
      ['1h30m30s500ms', H + 30 * M + 30 * S + 500],
      ['99999h', 99999 * H],
    ];
    for (const [text, ms] of valid) expect([text, parseApiDuration(text)]).toEqual([text, ms]);
  });

  it('rejects the GEP invalid vectors and what the CRD pattern rejects', () => {
    const invalid = ['1', '1m1', '1d', '1h30m10s20ms50h', '999999h', '1.5h', '-15m', '', '0', '1.5s', '100000s', ' 1s', '1s ', '1S', '1us', '1h 30m', '+1s'];
    for (const text of invalid) expect([text, parseApiDuration(text)]).toEqual([text, undefined]);
    expect(parseApiDuration(10 as unknown as string)).toBeUndefined(); // a YAML number
  });

  it('is stricter than the flag parser, which keeps fractions', () => {
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseApiDuration('1.5s')).toBeUndefined();
    expect(parseDuration('1h30m10s20ms50h')).toBe(51 * H + 30 * M + 10 * S + 20);
    expect(parseApiDuration('1h30m10s20ms50h')).toBeUndefined();
  });
});
