// RoutePolicy compression: which upstream answers are compressed, and with what. Compiled once
// per route (the preference list, the media-type matcher); per answer only Accept-Encoding is
// parsed, and both it and Content-Type are cached by their exact text.
//
// An answer is eligible when it has a body (not 204/205/206/304; a Content-Length of 0 neither),
// is not encoded already (Content-Encoding other than identity), carries no Cache-Control:
// no-transform and no Content-Range, is of a listed media type and reaches minLength (by
// Content-Length; without one — chunked, streaming — it always does). An eligible answer varies
// on Accept-Encoding whether or not this client gets it compressed. It is compressed when the
// request is not HEAD and does not say no-transform itself, and the client accepts one of the
// policy's encodings (body-encoder.ts does the streaming).
//
// HEAD follows nginx: the answer goes out as the backend gave it (no Content-Encoding, the
// backend's Content-Length, which is true of the identity body) — plus Vary, which nginx leaves
// out but a cache needs, because the GET it stands for does vary.
import type { IncomingHttpHeaders } from 'node:http';
import type { CompressionPolicy, CompressionType } from '../../table/types.js';
import { addVary } from '../headers.js';

/** Distinct header texts remembered per route (browsers send a handful); the cache restarts when full. */
const CACHE_ENTRIES = 256;
/** Longer header texts are parsed every time rather than remembered. */
const CACHE_TEXT = 512;
const QVALUE = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/;
const NO_TRANSFORM = /(?:^|[\s,])no-transform(?:$|[\s,;=])/i;
const GRPC_TYPE = /^\s*application\/grpc/i;

/**
 * The encoding to use for an Accept-Encoding text: the index in `types` (preference order) of the
 * acceptable encoding with the highest q-value, ties going to the earlier one; -1 for none.
 * `*` stands for every encoding the client does not name; q=0 refuses; `x-gzip` is gzip
 * (RFC 9110 §12.5.3). When the client rates identity above the best encoding, -1: it prefers
 * the body as it is. An entry with a malformed q-value is ignored.
 */
export function negotiate(header: string, types: readonly CompressionType[]): number {
  const q = [-1, -1, -1];
  let star = -1;
  let identity = -1;
  for (const entry of header.split(',')) {
    const semi = entry.indexOf(';');
    const coding = (semi < 0 ? entry : entry.slice(0, semi)).trim().toLowerCase();
    if (coding === '') continue;
    let weight = 1;
    if (semi >= 0) {
      const w = qParameter(entry.slice(semi + 1));
      if (w === undefined) continue;
      weight = w;
    }
    if (coding === '*') star = Math.max(star, weight);
    else if (coding === 'identity') identity = Math.max(identity, weight);
    else {
      const i = types.indexOf((coding === 'x-gzip' ? 'gzip' : coding) as CompressionType);
      if (i >= 0) q[i] = Math.max(q[i]!, weight);
    }
  }
  let best = -1;
  let bestQ = 0;
  for (let i = 0; i < types.length; i++) {
    const weight = q[i]! >= 0 ? q[i]! : star >= 0 ? star : 0;
    if (weight > bestQ) {
      best = i;
      bestQ = weight;
    }
  }
  return best >= 0 && identity > bestQ ? -1 : best;
}

/** The q parameter of an Accept-Encoding entry's parameters (1 without one); undefined when malformed. */
function qParameter(params: string): number | undefined {
  for (const p of params.split(';')) {
    const eq = p.indexOf('=');
    if (eq < 0 || p.slice(0, eq).trim().toLowerCase() !== 'q') continue;
    const value = p.slice(eq + 1).trim();
    return QVALUE.test(value) ? Number(value) : undefined;
  }
  return 1;
}

/** A bounded memo of a pure function of a header text. */
class TextMemo<T> {
  private readonly seen = new Map<string, T>();
  private readonly compute: (text: string) => T;

  constructor(compute: (text: string) => T) {
    this.compute = compute;
  }

  get(text: string): T {
    if (text.length > CACHE_TEXT) return this.compute(text);
    let v = this.seen.get(text);
    if (v === undefined) {
      if (this.seen.size >= CACHE_ENTRIES) this.seen.clear();
      this.seen.set(text, (v = this.compute(text)));
    }
    return v;
  }
}

/** Whether a Content-Type's media type is one of `types` ("text/*" covers every text type). */
export function mediaTypeMatcher(types: readonly string[]): (contentType: string) => boolean {
  const exact = new Set(types.filter((t) => !t.endsWith('/*')));
  const whole = new Set(types.filter((t) => t.endsWith('/*')).map((t) => t.slice(0, -1)));
  return (contentType) => {
    const semi = contentType.indexOf(';');
    const media = (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
    const slash = media.indexOf('/');
    if (slash <= 0 || slash === media.length - 1) return false;
    return exact.has(media) || whole.has(media.slice(0, slash + 1));
  };
}

function text(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/** A strong validator no longer identifies the bytes once they are re-encoded: it becomes weak. */
function weaken(headers: IncomingHttpHeaders): void {
  const etag = headers.etag;
  if (typeof etag === 'string' && etag.startsWith('"')) headers.etag = `W/${etag}`;
}

export class CompressionRules {
  readonly policy: CompressionPolicy;
  private readonly encodings: TextMemo<number>;
  private readonly listedType: TextMemo<boolean>;

  constructor(policy: CompressionPolicy) {
    this.policy = policy;
    const types = policy.types;
    this.encodings = new TextMemo((header) => negotiate(header, types));
    this.listedType = new TextMemo(mediaTypeMatcher(policy.contentTypes));
  }

  /** Adds Vary: Accept-Encoding to an answer that is eligible (true), for one that has no body to compress too. */
  vary(status: number, headers: IncomingHttpHeaders): boolean {
    if (!this.eligible(status, headers)) return false;
    addVary(headers, 'Accept-Encoding');
    return true;
  }

  /** Whether this answer, judged on itself, would be compressed for a client that accepts it. */
  eligible(status: number, headers: IncomingHttpHeaders): boolean {
    if (status < 200 || status === 204 || status === 205 || status === 206 || status === 304) return false;
    const encoding = text(headers['content-encoding']);
    if (encoding && encoding.trim().toLowerCase() !== 'identity') return false;
    if (headers['content-range'] !== undefined) return false;
    const cacheControl = text(headers['cache-control']);
    if (cacheControl && NO_TRANSFORM.test(cacheControl)) return false;
    // gRPC frames (and compresses) its own messages: a gRPC client cannot read a gzipped stream.
    const type = text(headers['content-type']);
    if (!type || GRPC_TYPE.test(type) || !this.listedType.get(type)) return false;
    const length = headers['content-length'];
    if (length !== undefined) {
      const n = Number(length);
      if (n === 0 || n < this.policy.minLength) return false;
    }
    return true;
  }

  /** The encoding this client gets; undefined: none it accepts (or no Accept-Encoding at all). */
  accepted(acceptEncoding: string | string[] | undefined): CompressionType | undefined {
    const header = text(acceptEncoding);
    if (!header) return undefined;
    const i = this.encodings.get(header);
    return i < 0 ? undefined : this.policy.types[i];
  }

  /**
   * Judges an upstream answer about to go out and rewrites its headers to match: Vary when it is
   * eligible; when it is also compressed, Content-Encoding, no Content-Length or Accept-Ranges,
   * a weak ETag. Returns the encoding to apply, or undefined to send the body as it is.
   */
  apply(req: { readonly method?: string | undefined; readonly headers: IncomingHttpHeaders }, status: number, headers: IncomingHttpHeaders): CompressionType | undefined {
    if (!this.vary(status, headers) || req.method === 'HEAD') return undefined;
    const type = this.accepted(req.headers['accept-encoding']);
    if (!type) return undefined;
    const requestCacheControl = req.headers['cache-control'];
    if (requestCacheControl && NO_TRANSFORM.test(requestCacheControl)) return undefined;
    headers['content-encoding'] = type;
    delete headers['content-length'];
    delete headers['accept-ranges'];
    weaken(headers);
    return type;
  }
}
