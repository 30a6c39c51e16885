// Checks of the HTTP values a RoutePolicy writes: CORS origins, methods, media types and
// Kubernetes byte quantities. Each returns why a value is unusable, or undefined.

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** scheme://host[:port]; the host may start with "*." (any one or more labels). */
const ORIGIN = /^([a-z][a-z0-9+.-]*):\/\/(\*\.)?([a-z0-9]([-a-z0-9]*[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*(:\d{1,5})?$/;
/** A media type or a whole type ("text/*"); "*\/*" is refused: images and archives do not compress. */
const MEDIA_TYPE = /^([!#$%&'+\-.^_`|~0-9a-z]+)\/(\*|[!#$%&'+\-.^_`|~0-9a-z]+)$/;

export function originProblem(origin: string): string | undefined {
  if (origin === '*') return undefined;
  if (origin.length > 253) return 'must be at most 253 characters';
  if (origin !== origin.toLowerCase()) return 'must be lower-case (origins are compared as serialized)';
  const m = ORIGIN.exec(origin);
  if (!m) return 'is not an origin ("https://app.example.com", "https://*.example.com" or "*")';
  const port = m[7] ? Number(m[7].slice(1)) : undefined;
  if (port !== undefined && (port < 1 || port > 65535)) return 'has a port outside 1 to 65535';
  return undefined;
}

/** A method token; "*" stands for every method (only without credentials). */
export function methodProblem(method: string): string | undefined {
  if (method === '*') return undefined;
  return TOKEN.test(method) && method.length <= 32 ? undefined : 'is not an HTTP method (a token of at most 32 characters)';
}

/** "type/subtype" or "type/*", lower-case, no parameters. */
export function mediaTypeProblem(type: string): string | undefined {
  return MEDIA_TYPE.test(type) && type.length <= 128 ? undefined : 'is not a lower-case media type ("text/html", "text/*")';
}

const QUANTITY_UNITS: Readonly<Record<string, number>> = { '': 1, k: 1e3, M: 1e6, G: 1e9, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 };
export const QUANTITY_PATTERN = '^[0-9]+(Ki|Mi|Gi|k|M|G)?$';

/** A Kubernetes quantity of bytes ("64Mi", "1G", "4096"), whole numbers only; undefined when not one. */
export function parseQuantity(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const m = /^([0-9]+)(Ki|Mi|Gi|k|M|G)?$/.exec(value);
  if (!m) return undefined;
  const n = Number(m[1]) * QUANTITY_UNITS[m[2] ?? '']!;
  return Number.isSafeInteger(n) ? n : undefined;
}
