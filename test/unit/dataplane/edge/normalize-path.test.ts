import { describe, expect, it } from '@jest/globals';
import { normalizePath, removeDotSegments } from '../../../../src/dataplane/edge/normalize-path.js';

const keep = { mergeSlashes: true, escapedSlashes: 'keep' } as const;
const reject = { mergeSlashes: true, escapedSlashes: 'reject' } as const;

/** RFC 3986 §5.2.3 merge for a base URI with an authority: the base path up to its last "/", then the reference. */
function merge(basePath: string, ref: string): string {
  return ref.startsWith('/') ? ref : basePath.slice(0, basePath.lastIndexOf('/') + 1) + ref;
}

describe('removeDotSegments against RFC 3986 §5.4 (base http://a/b/c/d;p?q)', () => {
  const base = '/b/c/d;p';
  // [reference, expected path, climbs above the root]; references with a scheme, authority,
  // query-only or fragment-only forms do not reach the path algorithm and are left out.
  const normal: [string, string][] = [
    ['g', '/b/c/g'], ['./g', '/b/c/g'], ['g/', '/b/c/g/'], ['/g', '/g'], [';x', '/b/c/;x'], ['g;x', '/b/c/g;x'],
    ['.', '/b/c/'], ['./', '/b/c/'], ['..', '/b/'], ['../', '/b/'], ['../g', '/b/g'], ['../..', '/'], ['../../', '/'], ['../../g', '/g'],
  ];
  const abnormal: [string, string, boolean][] = [
    ['../../../g', '/g', true], ['../../../../g', '/g', true], ['/./g', '/g', false], ['/../g', '/g', true],
    ['g.', '/b/c/g.', false], ['.g', '/b/c/.g', false], ['g..', '/b/c/g..', false], ['..g', '/b/c/..g', false],
    ['./../g', '/b/g', false], ['./g/.', '/b/c/g/', false], ['g/./h', '/b/c/g/h', false], ['g/../h', '/b/c/h', false],
    ['g;x=1/./y', '/b/c/g;x=1/y', false], ['g;x=1/../y', '/b/c/y', false],
  ];
  it.each(normal)('%s → %s', (ref, want) => {
    expect(removeDotSegments(merge(base, ref))).toEqual({ path: want, climbed: false });
  });
  it.each(abnormal)('%s → %s (climbed: %s)', (ref, want, climbed) => {
    expect(removeDotSegments(merge(base, ref))).toEqual({ path: want, climbed });
  });
});

describe('normalizePath', () => {
  it('returns the very same string when nothing needs changing', () => {
    const path = '/api/v1/users';
    expect(normalizePath(path, keep)).toBe(path);
  });

  it('resolves dot segments, also percent-encoded ones, before matching', () => {
    expect(normalizePath('/api/../admin', keep)).toBe('/admin');
    expect(normalizePath('/api/%2e%2e/admin', keep)).toBe('/admin');
    expect(normalizePath('/api/%2E./admin', keep)).toBe('/admin');
    expect(normalizePath('/a/./b/.', keep)).toBe('/a/b/');
    expect(normalizePath('/.well-known/acme', keep)).toBe('/.well-known/acme');
  });

  it('decodes unreserved escapes only, and upper-cases the others', () => {
    expect(normalizePath('/%61dmin', keep)).toBe('/admin');
    expect(normalizePath('/%7Euser/%41-%5a', keep)).toBe('/~user/A-Z');
    expect(normalizePath('/a%20b/%3f%c3%a9', keep)).toBe('/a%20b/%3F%C3%A9');
  });

  it('keeps encoded slashes encoded (one segment), or refuses them', () => {
    expect(normalizePath('/files/a%2fb', keep)).toBe('/files/a%2Fb');
    expect(normalizePath('/files/a%2F..%2Fb', keep)).toBe('/files/a%2F..%2Fb');
    expect(normalizePath('/files/a\\..\\b', keep)).toBe('/files/a%5C..%5Cb');
    expect(normalizePath('/files/a%2fb', reject)).toEqual({ rejected: 'escaped-slash' });
    expect(normalizePath('/files/a%5Cb', reject)).toEqual({ rejected: 'escaped-slash' });
    expect(normalizePath('/files/a\\b', reject)).toEqual({ rejected: 'escaped-slash' });
  });

  it('merges repeated slashes unless told not to', () => {
    expect(normalizePath('//api///v1//', keep)).toBe('/api/v1/');
    expect(normalizePath('//', keep)).toBe('/');
    expect(normalizePath('//api//v1', { mergeSlashes: false, escapedSlashes: 'keep' })).toBe('//api//v1');
  });

  it('refuses a path above the root and malformed escapes', () => {
    expect(normalizePath('/..', keep)).toEqual({ rejected: 'above-root' });
    expect(normalizePath('/a/../../etc/passwd', keep)).toEqual({ rejected: 'above-root' });
    expect(normalizePath('/%2e%2e/x', keep)).toEqual({ rejected: 'above-root' });
    expect(normalizePath('/a%zz', keep)).toEqual({ rejected: 'bad-escape' });
    expect(normalizePath('/a%4', keep)).toEqual({ rejected: 'bad-escape' });
    expect(normalizePath('/a%', keep)).toEqual({ rejected: 'bad-escape' });
  });
});
