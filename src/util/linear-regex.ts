// Linear-time regular expressions for route matches (HTTPRoute path, header and query-parameter
// RegularExpression matches). V8's default engine backtracks: a pattern like `/(a+)+$` takes
// time exponential in the input, so one short request could freeze the event loop. V8's
// linear-time engine (the RegExp flag 'l', behind a V8 flag) runs in time linear in the input
// and refuses patterns it cannot run that way. A refused pattern is the caller's problem to
// report; nothing here ever falls back to the backtracking engine. bench/regex.ts measured the
// candidates (V8 'l', re2-wasm, the native re2 addon); README "Regular expressions" says what
// users may write.
//
// Pure apart from the process-wide V8 flag, which must be set before the first 'l' RegExp in
// every process that compiles patterns (controller, data-plane workers, jest workers): importing
// this module does it.
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--enable-experimental-regexp-engine');

/** Why 'l' RegExps cannot be built in this process, or undefined when they can. */
const engineUnavailable = ((): string | undefined => {
  try {
    new RegExp('', 'l');
    return undefined;
  } catch (e) {
    return `the linear-time regular expression engine is unavailable in this process (${(e as Error).message})`;
  }
})();

/** Tests whether a whole string matches (the pattern is anchored at both ends). */
export interface WholeMatcher {
  test(input: string): boolean;
}

export type RegexCompilation =
  | { readonly ok: true; readonly matcher: WholeMatcher }
  | { readonly ok: false; readonly reason: string };

const SIMPLE_ESCAPES = new Set('dDwWsSbBfnrtv');
const HEX = /^[0-9a-fA-F]+$/;
const ASCII_LETTER = /^[a-zA-Z]$/;

function hexDigits(source: string, at: number, count: number): boolean {
  const s = source.slice(at, at + count);
  return s.length === count && HEX.test(s);
}

/**
 * Syntax the linear engine would accept but that means something else than a user (often
 * writing RE2, as Envoy-based gateways take) expects, or that we refuse to keep the accepted
 * language the portable subset: lookaround, backreferences, escapes JavaScript reads as a plain
 * letter (`\A`, `\z`, `\Q`, `\pL`, `\x{41}`), POSIX classes.
 */
function unsupportedSyntax(source: string): string | undefined {
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      const next = source[i + 1];
      if (next === undefined) return undefined; // the engine reports the trailing backslash
      if ((next >= '1' && next <= '9') || next === 'k') return 'backreferences are not supported';
      if (next === '0' && /[0-9]/.test(source[i + 2] ?? '')) return 'octal escapes are not supported';
      if (next === 'x' && !hexDigits(source, i + 2, 2)) return '\\x needs exactly two hex digits (\\x{…} is not supported)';
      if (next === 'u' && !hexDigits(source, i + 2, 4)) return '\\u needs exactly four hex digits (\\u{…} is not supported)';
      if (next === 'c' && !ASCII_LETTER.test(source[i + 2] ?? '')) return '\\c needs a letter';
      if (ASCII_LETTER.test(next) && !SIMPLE_ESCAPES.has(next) && !'xuc'.includes(next)) return `the escape \\${next} is not supported`;
      i++;
    } else if (inClass) {
      if (c === ']') inClass = false;
      else if (c === '[' && source[i + 1] === ':') return 'POSIX classes such as [[:alpha:]] are not supported';
    } else if (c === '[') {
      inClass = true;
    } else if (c === '(' && source[i + 1] === '?') {
      const kind = source.slice(i + 2, i + 4);
      if (kind[0] === '=' || kind[0] === '!' || kind === '<=' || kind === '<!') return 'lookaround ((?=, (?!, (?<=, (?<!) is not supported';
    }
  }
  return undefined;
}

/** The part after V8's "Invalid regular expression: /…/l: " prefix, in our words where useful. */
function engineReason(e: unknown): string {
  const message = (e as Error).message;
  const at = message.lastIndexOf('/l: ');
  const reason = at === -1 ? message : message.slice(at + 4);
  if (reason === 'Cannot be executed in linear time') {
    return 'it cannot run in linear time (counted repetitions {n,m} are limited to 16, nested ones multiplied)';
  }
  if (reason === 'Invalid group') return 'invalid group (inline flags such as (?i) and (?P<name>…) are not supported)';
  return reason;
}

const LITERAL = /^[a-zA-Z0-9/_~%!,;:=@&'"<>#\- ]$/;
const ESCAPED_LITERAL = /^[./\-?*+()[\]{}|^$\\]$/;
const QUANTIFIER = /^[*+?{]$/;

/**
 * The literal text every match must start with ('' when unknown). Lets a matcher reject most
 * non-matching inputs with startsWith() before running the engine. Conservative: any `|` in the
 * pattern (alternation could bypass the prefix) or a leading non-literal gives ''.
 */
export function literalPrefix(source: string): string {
  if (source.includes('|')) return '';
  let prefix = '';
  let i = source.startsWith('^') ? 1 : 0;
  while (i < source.length) {
    let literal: string;
    let width: number;
    const c = source[i]!;
    if (c === '\\' && ESCAPED_LITERAL.test(source[i + 1] ?? '')) {
      literal = source[i + 1]!;
      width = 2;
    } else if (LITERAL.test(c)) {
      literal = c;
      width = 1;
    } else break;
    // A quantifier applies to this literal alone: it is optional or repeated, so not part of the prefix.
    if (QUANTIFIER.test(source[i + width] ?? '')) break;
    prefix += literal;
    i += width;
  }
  return prefix;
}

function withPrefix(re: RegExp, prefix: string): WholeMatcher {
  if (prefix === '') return re;
  return { test: (input) => input.startsWith(prefix) && re.test(input) };
}

/**
 * Compiles a user pattern that must match the whole input, on the linear-time engine. Call it
 * once per table build, never per request.
 */
export function compileWholeMatch(source: string): RegexCompilation {
  if (engineUnavailable) return { ok: false, reason: engineUnavailable };
  const unsupported = unsupportedSyntax(source);
  if (unsupported) return { ok: false, reason: unsupported };
  try {
    // Alone first: `a)|(b` is invalid, but wrapped in the anchoring group it would parse.
    new RegExp(source, 'l');
    const re = new RegExp(`^(?:${source})$`, 'l');
    return { ok: true, matcher: withPrefix(re, literalPrefix(source)) };
  } catch (e) {
    return { ok: false, reason: engineReason(e) };
  }
}

/** Why Sluice cannot run this pattern, or undefined when it can. The one check for translate and validate. */
export function regexProblem(source: string): string | undefined {
  const c = compileWholeMatch(source);
  return c.ok ? undefined : c.reason;
}
