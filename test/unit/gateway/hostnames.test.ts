import { describe, expect, it } from '@jest/globals';
import { checkHostname, covers, intersect, specificity } from '../../../src/translate/gateway/hostnames.js';

describe('Gateway API hostnames', () => {
  it('intersects listener and route hostnames as the spec says', () => {
    expect(intersect(undefined, [])).toEqual(['*']);
    expect(intersect('foo.example.com', [])).toEqual(['foo.example.com']);
    expect(intersect(undefined, ['a.example.com'])).toEqual(['a.example.com']);
    expect(intersect('*.example.com', ['foo.example.com', 'a.b.example.com', 'example.com'])).toEqual(['foo.example.com', 'a.b.example.com']);
    expect(intersect('foo.example.com', ['*.example.com'])).toEqual(['foo.example.com']);
    expect(intersect('*.example.com', ['*.foo.example.com', '*.com'])).toEqual(['*.foo.example.com', '*.example.com']);
    expect(intersect('foo.example.com', ['bar.example.com'])).toEqual([]);
  });

  it('wildcards cover one or more labels, never the bare suffix', () => {
    expect(covers('*.example.com', 'a.example.com')).toBe(true);
    expect(covers('*.example.com', 'a.b.example.com')).toBe(true);
    expect(covers('*.example.com', 'example.com')).toBe(false);
    expect(covers('*.example.com', '*.example.com')).toBe(true);
    expect(covers('a.example.com', '*.example.com')).toBe(false);
  });

  it('ranks exact listener hostnames above wildcards above none', () => {
    expect(specificity('a.example.com')).toBeGreaterThan(specificity('*.a.example.com'));
    expect(specificity('*.a.example.com')).toBeGreaterThan(specificity('*.example.com'));
    expect(specificity('*.example.com')).toBeGreaterThan(specificity(undefined));
  });

  it('rejects invalid names and IP addresses', () => {
    expect(checkHostname('shop.example.com')).toBeUndefined();
    expect(checkHostname('*.example.com')).toBeUndefined();
    expect(checkHostname('a.*.com')).toBeDefined();
    expect(checkHostname('10.0.0.1')).toBeDefined();
    expect(checkHostname('')).toBeDefined();
  });
});
