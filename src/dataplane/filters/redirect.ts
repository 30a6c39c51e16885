// RequestRedirect: the Location of a route whose action is a redirect, compiled once per route.
// Scheme, host, port and path each come from the redirect when it names them, else from the
// request; a port that is the scheme's default is left out.
import type { Redirect, Route } from '../../table/types.js';
import type { RequestFacts } from '../router.js';
import { compilePathModifier, type PathRewriter } from './path-modifier.js';

export type LocationBuilder = (facts: RequestFacts, host: string, proto: 'http' | 'https', localPort: number) => string;

export function compileRedirect(r: Redirect, route: Route): LocationBuilder {
  const path: PathRewriter | undefined = r.path ? compilePathModifier(r.path, route.match.path) : undefined;
  return (facts, host, proto, localPort) => {
    const scheme = r.scheme ?? proto;
    const hostname = r.hostname ?? host;
    let port = r.port ?? (r.scheme ? (scheme === 'https' ? 443 : 80) : localPort);
    if ((scheme === 'http' && port === 80) || (scheme === 'https' && port === 443)) port = 0;
    const p = path ? path(facts.path) : facts.path;
    return `${scheme}://${hostname}${port ? `:${port}` : ''}${p}${facts.query ? `?${facts.query}` : ''}`;
  };
}
