// Reading one cookie out of a request's Cookie header(s) without parsing the rest, and writing
// the Set-Cookie values Sluice issues (session persistence, hash cookies).

/** The value of cookie `name`, or undefined. Several Cookie headers are read as one list. */
export function findCookie(header: string | string[] | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  if (Array.isArray(header)) {
    for (const h of header) {
      const v = findCookie(h, name);
      if (v !== undefined) return v;
    }
    return undefined;
  }
  let at = 0;
  while (at < header.length) {
    while (header.charCodeAt(at) === 32) at++; // leading spaces
    const end = header.indexOf(';', at);
    const stop = end === -1 ? header.length : end;
    const eq = header.indexOf('=', at);
    if (eq !== -1 && eq < stop && eq - at === name.length && header.startsWith(name, at)) {
      let value = header.slice(eq + 1, stop).trim();
      if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
      return value;
    }
    at = stop + 1;
  }
  return undefined;
}

export interface CookieAttributes {
  readonly path?: string;
  /** Seconds; absent: a session cookie. */
  readonly maxAge?: number;
  readonly secure: boolean;
}

export function setCookie(name: string, value: string, a: CookieAttributes): string {
  let out = `${name}=${value}; Path=${a.path ?? '/'}`;
  if (a.maxAge !== undefined) out += `; Max-Age=${a.maxAge}`;
  out += '; HttpOnly; SameSite=Lax';
  if (a.secure) out += '; Secure';
  return out;
}
