// Request path normalization before matching and forwarding, so that the route a request
// matches is the route the backend serves (the way Envoy normalizes by default):
// percent-encoded unreserved characters are decoded (RFC 3986 §2.3), other escapes get
// upper-case hex (§6.2.2.1), "." and ".." segments are resolved (§5.2.4), repeated slashes are
// merged (configurable). Encoded slashes/backslashes (%2F, %5C) either stay encoded — they are
// then ordinary characters inside a segment, never a separator — or are refused. A path that
// climbs above "/" is refused.

export interface PathOptions {
  readonly mergeSlashes: boolean;
  readonly escapedSlashes: 'keep' | 'reject';
}

export type PathRejection = 'bad-escape' | 'escaped-slash' | 'above-root';

/** Why a path is refused (answered 400); one frozen object per reason, so refusing allocates nothing. */
export interface RejectedPath {
  readonly rejected: PathRejection;
}

const REJECTED: Readonly<Record<PathRejection, RejectedPath>> = {
  'bad-escape': Object.freeze({ rejected: 'bad-escape' }),
  'escaped-slash': Object.freeze({ rejected: 'escaped-slash' }),
  'above-root': Object.freeze({ rejected: 'above-root' }),
};

const PERCENT = 37;
const SLASH = 47;
const DOT = 46;
const BACKSLASH = 92;

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const lower = c | 0x20;
  if (lower >= 97 && lower <= 102) return lower - 87;
  return -1;
}

/** RFC 3986 unreserved: ALPHA / DIGIT / "-" / "." / "_" / "~". */
function isUnreserved(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45 || c === 46 || c === 95 || c === 126;
}

/**
 * Whether the path can need any change: an escape, a backslash, a dot segment or an empty
 * segment. The common path has none and is returned as it came, without allocating.
 */
function needsWork(path: string): boolean {
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === PERCENT || c === BACKSLASH) return true;
    if (c === SLASH && i + 1 < path.length) {
      const next = path.charCodeAt(i + 1);
      if (next === SLASH || next === DOT) return true;
    }
  }
  return false;
}

const HEX = '0123456789ABCDEF';

/** Decodes unreserved escapes and upper-cases the others; refuses malformed escapes and (by option) slashes. */
function decodeEscapes(path: string, options: PathOptions): string | PathRejection {
  let out = '';
  let from = 0;
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === BACKSLASH) {
      if (options.escapedSlashes === 'reject') return 'escaped-slash';
      out += path.slice(from, i) + '%5C';
      from = i + 1;
      continue;
    }
    if (c !== PERCENT) continue;
    const hi = hexValue(path.charCodeAt(i + 1));
    const lo = hexValue(path.charCodeAt(i + 2));
    if (hi < 0 || lo < 0) return 'bad-escape';
    const byte = hi * 16 + lo;
    if ((byte === SLASH || byte === BACKSLASH) && options.escapedSlashes === 'reject') return 'escaped-slash';
    out += path.slice(from, i) + (isUnreserved(byte) ? String.fromCharCode(byte) : `%${HEX[hi]}${HEX[lo]}`);
    from = i + 3;
    i += 2;
  }
  return from === 0 ? path : out + path.slice(from);
}

/**
 * RFC 3986 §5.2.4 remove_dot_segments for an absolute path, segment-wise. `climbed` tells that a
 * ".." went above the root (the RFC clamps it there; the normalizer refuses such a path).
 * With `mergeSlashes`, empty segments (repeated slashes) are dropped too.
 */
export function removeDotSegments(path: string, mergeSlashes = false): { path: string; climbed: boolean } {
  const segments = path.split('/');
  const out: string[] = [];
  let climbed = false;
  let trailingSlash = false;
  // segments[0] is the empty string before the leading "/".
  for (let i = 1; i < segments.length; i++) {
    const seg = segments[i]!;
    const last = i === segments.length - 1;
    trailingSlash = false;
    if (seg === '.' || (seg === '' && (mergeSlashes || last))) {
      trailingSlash = last;
      continue;
    }
    if (seg === '..') {
      if (out.length === 0) climbed = true;
      else out.pop();
      trailingSlash = last;
      continue;
    }
    out.push(seg);
  }
  if (out.length === 0) return { path: '/', climbed };
  return { path: `/${out.join('/')}${trailingSlash ? '/' : ''}`, climbed };
}

/** Normalizes an origin-form path (it starts with "/"; no query): the new path, or why it is refused. */
export function normalizePath(path: string, options: PathOptions): string | RejectedPath {
  if (!needsWork(path)) return path;
  const decoded = decodeEscapes(path, options);
  if (decoded === 'bad-escape' || decoded === 'escaped-slash') return REJECTED[decoded];
  const resolved = removeDotSegments(decoded, options.mergeSlashes);
  return resolved.climbed ? REJECTED['above-root'] : resolved.path;
}
