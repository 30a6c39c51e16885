import { describe, expect, it } from '@jest/globals';
import { expectedStatus, probeHost } from '../../../src/healthcheck/http-probe.js';
import { RiseFall } from '../../../src/healthcheck/rise-fall.js';
import type { ActiveHealthCheck } from '../../../src/table/types.js';

/** Feeds results (1 pass, 0 fail) and returns the verdict after each, marking changes with '!'. */
function run(results: string, rise: number, fall: number): string {
  const v = new RiseFall();
  return [...results].map((r) => (v.record(r === '1', rise, fall) ? '!' : '') + (v.healthy ? 'H' : 'U')).join(' ');
}

describe('RiseFall', () => {
  it('starts healthy, falls after unhealthyThreshold consecutive failures, rises after healthyThreshold passes', () => {
    expect(run('1000011', 2, 3)).toBe('H H H !U U U !H');
  });

  it('needs consecutive results: one result of the other kind starts the count over', () => {
    expect(run('0010010001', 2, 3)).toBe('H H H H H H H H !U U');
    expect(run('00010110', 2, 3)).toBe('H H !U U U U !H H');
  });

  it('treats thresholds below one as one', () => {
    expect(run('0101', 0, 0)).toBe('!U !H !U !H');
  });

  it('keeps its verdict when the streak is reset (the check changed)', () => {
    const v = new RiseFall();
    v.record(false, 2, 2);
    v.resetStreak();
    expect(v.record(false, 2, 2)).toBe(false);
    expect(v.record(false, 2, 2)).toBe(true);
    expect(v.healthy).toBe(false);
  });
});

describe('HTTP probe details', () => {
  const check: ActiveHealthCheck = { type: 'HTTP', intervalMs: 1000, timeoutMs: 100, healthyThreshold: 1, unhealthyThreshold: 1, initialJitterMs: 0 };

  it('matches statuses against inclusive ranges', () => {
    const ranges = [{ start: 200, end: 204 }, { start: 301, end: 301 }];
    expect([200, 204, 205, 300, 301, 302, 503].map((s) => expectedStatus(s, ranges))).toEqual([true, true, false, false, true, false, false]);
  });

  it('sends the check hostname as Host, else the endpoint address with brackets for IPv6', () => {
    expect(probeHost({ ...check, http: { path: '/', method: 'GET', hostname: 'api.local', expectedStatuses: [] } }, { address: '10.0.0.1', port: 80 })).toBe('api.local');
    expect(probeHost(check, { address: '10.0.0.1', port: 8080 })).toBe('10.0.0.1:8080');
    expect(probeHost(check, { address: 'fd00::1', port: 80 })).toBe('[fd00::1]:80');
  });
});
