// The client's own conditional GET against the answer Sluice is about to give from the cache or a
// shared upstream response (RFC 9110 §13.2.2): If-None-Match (weak comparison), else
// If-Modified-Since. Sluice strips these from the request it sends upstream for such answers (the
// origin's 304 would be of no use to the other clients), so it must evaluate them itself.
import type { IncomingHttpHeaders } from 'node:http';
import { httpDate } from './freshness.js';

/** The request asks something Sluice evaluates itself (304) instead of forwarding. */
export function isConditional(headers: IncomingHttpHeaders): boolean {
  return headers['if-none-match'] !== undefined || headers['if-modified-since'] !== undefined;
}

function opaque(tag: string): string {
  const t = tag.trim();
  return t.startsWith('W/') ? t.slice(2) : t;
}

/** True when the client already has this representation: answer 304 instead of `status`. */
export function notModified(req: IncomingHttpHeaders, status: number, res: IncomingHttpHeaders): boolean {
  if (status !== 200) return false;
  const inm = req['if-none-match'];
  if (inm !== undefined) {
    const etag = res.etag;
    if (typeof etag !== 'string') return false;
    const list = Array.isArray(inm) ? inm.join(',') : inm;
    if (list.trim() === '*') return true;
    const mine = opaque(etag);
    return list.split(',').some((t) => opaque(t) === mine);
  }
  const since = httpDate(req['if-modified-since']);
  const modified = httpDate(res['last-modified']);
  return since !== undefined && modified !== undefined && modified <= since;
}

/** RFC 9110 §15.4.5: a 304 carries the 200's header fields but not those describing its body. */
export function notModifiedHeaders(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const out = { ...headers };
  delete out['content-length'];
  delete out['transfer-encoding'];
  return out;
}
