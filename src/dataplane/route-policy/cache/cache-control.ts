// Cache-Control (RFC 9111 §5.2) read into the directives a shared cache acts on. Directive names
// are case-insensitive; values may be tokens or quoted strings. A delta-seconds value that is not
// a non-negative integer counts as 0 (the most restrictive reading, §4.2.1); a repeated directive
// keeps its smallest value. The field-name forms `private="x"` and `no-cache="x"` are read as the
// plain directives (stricter than the RFC requires, never looser).
import type { IncomingHttpHeaders } from 'node:http';

/** RFC 9111 §1.2.2: delta-seconds larger than this are this. */
const MAX_DELTA = 2_147_483_648;

export interface ResponseDirectives {
  readonly maxAge: number | undefined;
  readonly sMaxAge: number | undefined;
  readonly noStore: boolean;
  readonly noCache: boolean;
  readonly private: boolean;
  readonly public: boolean;
  readonly mustRevalidate: boolean;
  readonly proxyRevalidate: boolean;
}

export interface RequestDirectives {
  readonly maxAge: number | undefined;
  readonly minFresh: number | undefined;
  readonly noCache: boolean;
  readonly noStore: boolean;
  readonly onlyIfCached: boolean;
}

type Directives = Map<string, string | undefined>;

function seconds(value: string | undefined): number {
  if (value === undefined || !/^\d+$/.test(value)) return 0;
  return Math.min(Number(value), MAX_DELTA);
}

/** Every directive of one or more Cache-Control field values, lower-case names. */
export function parseDirectives(field: string | readonly string[] | undefined): Directives {
  const out: Directives = new Map();
  if (field === undefined) return out;
  const text = typeof field === 'string' ? field : field.join(',');
  // name[=token|"quoted"]; quoted values may hold commas; anything else between is skipped.
  for (const m of text.matchAll(/([^,=\s"]+)\s*(?:=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s"]*)))?/g)) {
    const name = m[1]!.toLowerCase();
    const value = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3];
    if (!out.has(name)) out.set(name, value);
    else if (value !== undefined) {
      // A repeated delta-seconds directive: keep the smaller (stricter) value.
      const prev = out.get(name);
      if (prev === undefined || seconds(value) < seconds(prev)) out.set(name, value);
    }
  }
  return out;
}

function delta(d: Directives, name: string): number | undefined {
  return d.has(name) ? seconds(d.get(name)) : undefined;
}

export function responseDirectives(headers: IncomingHttpHeaders): ResponseDirectives {
  const d = parseDirectives(headers['cache-control']);
  return {
    maxAge: delta(d, 'max-age'),
    sMaxAge: delta(d, 's-maxage'),
    noStore: d.has('no-store'),
    noCache: d.has('no-cache'),
    private: d.has('private'),
    public: d.has('public'),
    mustRevalidate: d.has('must-revalidate'),
    proxyRevalidate: d.has('proxy-revalidate'),
  };
}

const NONE: RequestDirectives = Object.freeze({ maxAge: undefined, minFresh: undefined, noCache: false, noStore: false, onlyIfCached: false });

/** The request's directives; `Pragma: no-cache` counts as no-cache when there is no Cache-Control (RFC 9111 §5.4). */
export function requestDirectives(headers: IncomingHttpHeaders): RequestDirectives {
  const field = headers['cache-control'];
  if (field === undefined) return headers.pragma !== undefined && /(^|,)\s*no-cache\s*(,|$)/i.test(String(headers.pragma)) ? { ...NONE, noCache: true } : NONE;
  const d = parseDirectives(field);
  return { maxAge: delta(d, 'max-age'), minFresh: delta(d, 'min-fresh'), noCache: d.has('no-cache'), noStore: d.has('no-store'), onlyIfCached: d.has('only-if-cached') };
}
