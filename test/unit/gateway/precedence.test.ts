import { describe, expect, it } from '@jest/globals';
import { comparePrecedence, type PrecedenceKey } from '../../../src/translate/gateway/precedence.js';
import type { RouteMatch } from '../../../src/table/types.js';

const key = (match: RouteMatch, routeAge = '9999|ns/r', ruleIndex = 0, matchIndex = 0): PrecedenceKey => ({ match, routeAge, ruleIndex, matchIndex });
const prefix = (value: string, extra: Partial<RouteMatch> = {}): RouteMatch => ({ path: { type: 'Prefix', value }, ...extra });

describe('HTTPRoute precedence', () => {
  it('orders by the spec criteria, each only breaking the previous one’s ties', () => {
    const ordered = [
      key({ path: { type: 'Exact', value: '/a' } }),
      key({ path: { type: 'RegularExpression', value: '/a.*' } }),
      key(prefix('/longer')),
      key(prefix('/a', { method: 'GET' })),
      key(prefix('/a', { headers: [{ type: 'Exact', name: 'x', value: '1' }, { type: 'Exact', name: 'y', value: '1' }] })),
      key(prefix('/a', { headers: [{ type: 'Exact', name: 'x', value: '1' }] })),
      key(prefix('/a', { queryParams: [{ type: 'Exact', name: 'q', value: '1' }] })),
      key(prefix('/a'), '2026-01-01T00:00:00Z|z/old'),
      key(prefix('/a'), '9999|a/new'),
      key(prefix('/a'), '9999|b/new', 0),
      key(prefix('/a'), '9999|b/new', 1),
    ];
    const shuffled = [...ordered].reverse();
    expect(shuffled.sort(comparePrecedence)).toEqual(ordered);
  });
});
