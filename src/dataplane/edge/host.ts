// Host header and absolute-form authority checks (RFC 9112 §3.2, RFC 3986 §3.2.2): one Host
// only, and a value that is a reg-name, an IPv4 address or a bracketed IPv6 literal, with an
// optional port. Anything else (a space, a comma-joined pair, userinfo) is answered 400 rather
// than routed to the host-less catch-all.

/** reg-name characters: unreserved / pct-encoded / sub-delims (RFC 3986 §3.2.2). */
function isRegNameChar(c: number): boolean {
  return (
    (c >= 97 && c <= 122) || // a-z
    (c >= 65 && c <= 90) || // A-Z
    (c >= 48 && c <= 57) || // 0-9
    c === 45 || c === 46 || c === 95 || c === 126 || // - . _ ~
    c === 37 || // % (pct-encoded)
    c === 33 || c === 36 || c === 38 || c === 39 || c === 40 || c === 41 || c === 42 || c === 43 || c === 59 || c === 61 // ! $ & ' ( ) * + ; =
  );
}

function isIpv6LiteralChar(c: number): boolean {
  return (c >= 48 && c <= 58) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70) || c === 46; // 0-9 : a-f A-F .
}

function isPort(value: string, from: number): boolean {
  const digits = value.length - from;
  if (digits < 1 || digits > 5) return false;
  for (let i = from; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return Number(value.slice(from)) <= 65535;
}

/** Whether a Host header value (or an absolute-form authority) is a valid host with optional port. */
export function isValidHost(value: string): boolean {
  if (value.length === 0) return false;
  let i = 0;
  if (value.charCodeAt(0) === 91 /* [ */) {
    const close = value.indexOf(']');
    if (close < 3) return false;
    for (i = 1; i < close; i++) if (!isIpv6LiteralChar(value.charCodeAt(i))) return false;
    i = close + 1;
  } else {
    // A comma would only come from a second Host joined into one value: never a valid name.
    for (; i < value.length; i++) {
      const c = value.charCodeAt(i);
      if (c === 58 /* : */) break;
      if (!isRegNameChar(c)) return false;
    }
    if (i === 0) return false;
  }
  if (i === value.length) return true;
  return value.charCodeAt(i) === 58 && isPort(value, i + 1);
}

/** How many Host headers a request carries (Node keeps only the first in `req.headers`). */
export function hostHeaderCount(rawHeaders: readonly string[]): number {
  let n = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    if (name.length === 4 && (name === 'Host' || name === 'host' || name.toLowerCase() === 'host')) n++;
  }
  return n;
}
