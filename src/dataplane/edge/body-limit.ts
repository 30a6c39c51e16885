// --max-request-body for bodies without a declared length (chunked): the bytes are counted as
// they stream upstream, and the stream fails once the limit is passed, which ends the upstream
// request; the exchange then answers 413 (or cuts the response if one had already started).
// Declared lengths above the limit are refused before anything is sent (see planRequest).
import type { IncomingMessage } from 'node:http';
import { Transform, type TransformCallback } from 'node:stream';

export const BODY_TOO_LARGE = 'SLUICE_BODY_TOO_LARGE';

class LimitedBody extends Transform {
  private seen = 0;
  private readonly limit: number;
  private readonly onExceeded: () => void;

  constructor(limit: number, onExceeded: () => void) {
    super();
    this.limit = limit;
    this.onExceeded = onExceeded;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen <= this.limit) return done(null, chunk);
    this.onExceeded();
    done(Object.assign(new Error(`request body larger than ${this.limit} bytes`), { code: BODY_TOO_LARGE }));
  }
}

/** The request body as a stream that fails past `limit` bytes (calling `onExceeded` first). */
export function limitBody(req: IncomingMessage, limit: number, onExceeded: () => void): Transform {
  const limited = new LimitedBody(limit, onExceeded);
  req.on('error', (err) => limited.destroy(err));
  return req.pipe(limited);
}
