// spec.cors → CorsPolicy. Origins are exact, "*", or a wildcard host ("https://*.example.com").
// With allowCredentials, "*" is refused for origins, methods and headers: the Fetch standard
// ignores a wildcard on a credentialed request, and echoing any origin back with credentials
// would hand every site the user's session.
import type { CorsPolicy } from '../../table/types.js';
import type { Fields } from '../policy/fields.js';
import { headerNameProblem } from '../policy/names.js';
import { ROUTE_POLICY_DEFAULTS } from './defaults.js';
import { methodProblem, originProblem } from './web.js';

export const MAX_CORS_ITEMS = 64;
/** A day: browsers cap it lower (Chromium 2 h, Firefox 24 h). */
export const MAX_CORS_MAX_AGE_SECONDS = 86_400;

export function readCors(value: unknown, f: Fields): CorsPolicy | undefined {
  const spec = f.object(value, 'cors');
  if (!spec) return undefined;
  const c = f.at('cors');
  const strings = (name: string, check: (s: string) => string | undefined): string[] | undefined => {
    const list = c.list(spec[name], name, MAX_CORS_ITEMS);
    if (!list) return undefined;
    const out: string[] = [];
    list.forEach((v, i) => {
      const s = c.string(v, `${name}[${i}]`, check);
      if (s !== undefined && !out.includes(s)) out.push(s);
    });
    return out;
  };
  const allowOrigins = strings('allowOrigins', originProblem);
  if (!allowOrigins || (allowOrigins.length === 0 && spec['allowOrigins'] !== undefined)) c.problem('allowOrigins', 'must name at least one origin');
  const allowMethods = strings('allowMethods', methodProblem) ?? [...ROUTE_POLICY_DEFAULTS.cors.allowMethods];
  const headerName = (s: string) => (s === '*' ? undefined : headerNameProblem(s));
  const allowHeaders = (strings('allowHeaders', headerName) ?? []).map((h) => h.toLowerCase());
  const exposeHeaders = (strings('exposeHeaders', headerName) ?? []).map((h) => h.toLowerCase());
  const maxAgeMs = c.duration(spec['maxAge'], 'maxAge', 0);
  if (maxAgeMs !== undefined && maxAgeMs > MAX_CORS_MAX_AGE_SECONDS * 1000) c.problem('maxAge', `must be at most ${MAX_CORS_MAX_AGE_SECONDS / 3600}h`);
  if (maxAgeMs !== undefined && maxAgeMs % 1000 !== 0) c.problem('maxAge', 'must be whole seconds (Access-Control-Max-Age counts seconds)');
  const credentials = spec['allowCredentials'];
  if (credentials !== undefined && typeof credentials !== 'boolean') c.problem('allowCredentials', `${JSON.stringify(credentials)} is not true or false`);
  const allowCredentials = credentials === true;
  if (allowCredentials) {
    for (const [name, list] of [['allowOrigins', allowOrigins ?? []], ['allowMethods', allowMethods], ['allowHeaders', allowHeaders], ['exposeHeaders', exposeHeaders]] as const) {
      if (list.includes('*')) c.problem(name, '"*" cannot be combined with allowCredentials: list the values');
    }
  }
  return {
    allowOrigins: allowOrigins ?? [],
    allowMethods,
    allowHeaders,
    exposeHeaders,
    ...(maxAgeMs !== undefined ? { maxAgeSeconds: Math.floor(maxAgeMs / 1000) } : {}),
    allowCredentials,
  };
}
