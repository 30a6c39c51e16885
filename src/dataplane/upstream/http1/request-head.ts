// The request line and headers Sluice's HTTP/1.1 client writes upstream, as one latin1 string
// (one socket write with the body's first bytes, if any). Names and values are checked: a value
// with CR or LF would let a header injected by a filter split the request.
import type { Dispatcher } from 'undici';
import { INVALID_VALUE, TOKEN } from './syntax.js';

/** What a request target may hold (node's server has already refused worse from clients). */
const INVALID_PATH = /[^\x21-\x7e\x80-\xff]/;

export class RequestHeadError extends Error {
  readonly code = 'SLUICE_INVALID_UPSTREAM_REQUEST';
}

/** How the request body is framed on the wire. */
export type BodyFraming = 'none' | 'length' | 'chunked';

export interface RequestHead {
  readonly text: string;
  readonly framing: BodyFraming;
  /** The declared Content-Length, when framing is 'length'. */
  readonly length: number;
}

/** The exchange passes flat arrays; an object (or iterable) form is flattened once. */
function flatHeaders(headers: Dispatcher.DispatchOptions['headers']): readonly string[] | undefined {
  if (!headers) return undefined;
  if (Array.isArray(headers)) return headers as readonly string[];
  const out: string[] = [];
  const entries = Symbol.iterator in (headers as object) ? (headers as Iterable<[string, string | string[] | undefined]>) : Object.entries(headers as Record<string, string | string[] | undefined>);
  for (const [name, value] of entries) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) out.push(name.toLowerCase(), v);
  }
  return out;
}

/**
 * Serializes the head. `headers` is undici's flat [name, value, …] form (names lower-case, as the
 * exchange builds them). A body with no Content-Length goes chunked; Host is added when missing.
 */
export function requestHead(method: string, path: string, headers: Dispatcher.DispatchOptions['headers'], hasBody: boolean, authority: string): RequestHead {
  if (!TOKEN.test(method)) throw new RequestHeadError(`invalid method ${JSON.stringify(method)}`);
  if (path.length === 0 || INVALID_PATH.test(path)) throw new RequestHeadError('invalid request target');
  let text = `${method} ${path} HTTP/1.1\r\n`;
  let host = false;
  let length = -1;
  const flat = flatHeaders(headers);
  if (flat) {
    for (let i = 0; i < flat.length; i += 2) {
      const name = flat[i]!;
      const value = flat[i + 1]!;
      if (!TOKEN.test(name)) throw new RequestHeadError(`invalid header name ${JSON.stringify(name)}`);
      if (INVALID_VALUE.test(value)) throw new RequestHeadError(`invalid value of header ${name}`);
      if (name === 'host') host = true;
      else if (name === 'content-length') length = Number(value);
      text += `${name}: ${value}\r\n`;
    }
  }
  if (!host) text += `host: ${authority}\r\n`;
  let framing: BodyFraming = 'none';
  if (hasBody) {
    framing = length >= 0 ? 'length' : 'chunked';
    if (framing === 'chunked') text += 'transfer-encoding: chunked\r\n';
  }
  return { text: text + '\r\n', framing, length };
}
