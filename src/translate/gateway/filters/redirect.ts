// RequestRedirect: answer with a redirect instead of forwarding.
import type { HTTPRequestRedirectFilter } from '../../../api/gateway.js';
import type { Redirect } from '../../../table/types.js';
import { checkHostname } from '../hostnames.js';
import { NO_EFFECT, type FilterTranslator } from './filter.js';
import { pathModifier } from './path.js';

const REDIRECT_CODES = new Set([301, 302, 303, 307, 308]);

function redirectProblem(r: HTTPRequestRedirectFilter): string | undefined {
  const statusCode = r.statusCode ?? 302;
  if (!REDIRECT_CODES.has(statusCode)) return `redirect statusCode ${statusCode} is not supported`;
  if (r.scheme !== undefined && r.scheme !== 'http' && r.scheme !== 'https') return `redirect scheme ${r.scheme} is not supported`;
  if (r.hostname !== undefined && checkHostname(r.hostname.toLowerCase())) return `redirect hostname ${JSON.stringify(r.hostname)} is not valid`;
  return undefined;
}

export const requestRedirect: FilterTranslator = (f, c) => {
  const r = f.requestRedirect;
  const wrong = r === undefined ? 'requestRedirect is missing' : redirectProblem(r);
  if (r === undefined || wrong !== undefined) {
    c.problems.unsupportedValue(`${c.where}: ${wrong}`);
    return NO_EFFECT;
  }
  const path = pathModifier(r.path, c);
  const redirect: Redirect = {
    statusCode: (r.statusCode ?? 302) as Redirect['statusCode'],
    ...(r.scheme ? { scheme: r.scheme as 'http' | 'https' } : {}),
    ...(r.hostname ? { hostname: r.hostname.toLowerCase() } : {}),
    ...(r.port !== undefined ? { port: r.port } : {}),
    ...(path ? { path } : {}),
  };
  return { redirect };
};
