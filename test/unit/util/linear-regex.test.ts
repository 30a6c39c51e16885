import { describe, expect, it } from '@jest/globals';
import { compileWholeMatch, literalPrefix, regexProblem } from '../../../src/util/linear-regex.js';

function matcher(source: string) {
  const c = compileWholeMatch(source);
  if (!c.ok) throw new Error(`${source} rejected: ${c.reason}`);
  return c.matcher;
}

describe('linear-time regex engine', () => {
  it('is enabled in this process by importing the module', () => {
    expect(() => new RegExp('a', 'l')).not.toThrow();
  });

  it('matches the whole input, alternations included', () => {
    const m = matcher('/api/v[0-9]+/.*');
    expect(m.test('/api/v2/users')).toBe(true);
    expect(m.test('/api/v2/')).toBe(true);
    expect(m.test('/api/v2')).toBe(false);
    expect(m.test('/x/api/v2/users')).toBe(false);
    const alt = matcher('a|b');
    expect([alt.test('a'), alt.test('b'), alt.test('ab'), alt.test('xa')]).toEqual([true, true, false, false]);
  });

  it('accepts patterns it runs in linear time, /(a+)+$ included', () => {
    for (const source of ['/items/[0-9]+', 'beta-\\d+', '\\/p', '[^/]+\\.js', '(?<id>[0-9]+)', '\\bw\\b', 'x{16}', '[0-9]{0,16}', '\\x41\\u0041', 'a\\.b\\-c', '[\\]]', '\\0', '/(a+)+$', '']) {
      expect([source, regexProblem(source)]).toEqual([source, undefined]);
    }
    expect(matcher('/(a+)+$').test('/aaa')).toBe(true);
  });

  it('rejects what it cannot run in linear time, or would read differently than RE2, with a reason', () => {
    const cases: [string, string][] = [
      ['(a)\\1', 'backreferences'],
      ['(?<n>a)\\k<n>', 'backreferences'],
      ['(?=x)', 'lookaround'],
      ['a(?!x)', 'lookaround'],
      ['(?<=a)b', 'lookaround'],
      ['(?<!a)b', 'lookaround'],
      ['x{17}', 'linear time'],
      ['(x{4}){5}', 'linear time'],
      ['(?i)abc', 'inline flags'],
      ['(?P<n>a)', 'inline flags'],
      ['\\Aabc\\z', 'escape \\A'],
      ['\\pL', 'escape \\p'],
      ['\\p{L}', 'escape \\p'],
      ['\\Qa.b\\E', 'escape \\Q'],
      ['\\x{41}', '\\x needs'],
      ['\\u{41}', '\\u needs'],
      ['\\01', 'octal'],
      ['[[:alpha:]]', 'POSIX'],
      ['([a-z', 'Unterminated'],
      // Valid only inside the anchoring group; alone it is not a pattern.
      ['/a)|(.*', "Unmatched ')'"],
      ['a\\', 'end of pattern'],
    ];
    for (const [source, fragment] of cases) {
      const reason = regexProblem(source);
      expect([source, reason?.includes(fragment)]).toEqual([source, true]);
    }
  });

  it('ignores lookaround and escape look-alikes inside character classes and escapes', () => {
    expect(regexProblem('[(?=]x')).toBeUndefined();
    expect(regexProblem('\\(?=')).toBeUndefined();
    expect(regexProblem('[\\\\]A')).toBeUndefined();
  });
});

describe('literalPrefix', () => {
  it('takes the literal start of a pattern and stops before quantified or special characters', () => {
    const cases: [string, string][] = [
      ['/api/v[0-9]+/.*', '/api/v'],
      ['/items/[0-9]+', '/items/'],
      ['^/x/.*', '/x/'],
      ['/ab*', '/a'],
      ['/a?b', '/'],
      ['/x{2}', '/'],
      ['/a\\.b/.*', '/a.b/'],
      ['/a\\d', '/a'],
      ['/static', '/static'],
      ['a|b', ''],
      ['/a(b|c)', ''],
      ['(/x)', ''],
      ['.*', ''],
    ];
    for (const [source, prefix] of cases) expect([source, literalPrefix(source)]).toEqual([source, prefix]);
  });

  it('never changes an answer: the matcher agrees with the plain anchored pattern', () => {
    const patterns = ['/api/v[0-9]+/.*', '/ab*c', '/a\\.b/.*', '^/x/.*', '/static', '/a?b', '/a\\-b\\d'];
    const inputs = ['/api/v1/x', '/api/x', '/ac', '/abbbc', '/a.b/z', '/aXb/z', '/x/1', '/x', '/static', '/statics', '/b', '/ab', '/a-b1', ''];
    for (const p of patterns) {
      const m = matcher(p);
      const plain = new RegExp(`^(?:${p})$`);
      for (const input of inputs) expect([p, input, m.test(input)]).toEqual([p, input, plain.test(input)]);
    }
  });
});
