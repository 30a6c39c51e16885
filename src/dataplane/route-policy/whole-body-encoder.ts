// A compressed answer whose upstream body has a known length of at most WHOLE_BODY_MAX_BYTES:
// its pieces are held until the upstream body is complete, then compressed in one synchronous
// call on the serving loop and written with the response's end (one write). Nothing waits on
// the thread pool and no zlib stream is set up; the held pieces are the upstream's own (no copy).
import type { ServerResponse } from 'node:http';
import type { Metrics } from '../../metrics.js';
import type { CompressionType } from '../../table/types.js';
import { type BodyEncoder, compressorOptions, type EncoderOwner, ZLIB_ENGINES } from './body-encoder.js';

/** Compresses a whole body with the same settings the streaming encoder uses for that length. */
export function compressWhole(type: CompressionType, body: Buffer, length: number): Buffer {
  return ZLIB_ENGINES[type].whole(body, compressorOptions(type, length, false));
}

export class WholeBodyEncoder implements BodyEncoder {
  private readonly type: CompressionType;
  private readonly length: number;
  private readonly res: ServerResponse;
  private readonly metrics: Metrics;
  private readonly owner: EncoderOwner;
  private readonly compress: typeof compressWhole;
  private pieces: Buffer[] = [];
  private received = 0;
  /** Compressed and ended, or the client went away: later calls do nothing. */
  private over = false;

  /** `length`: the upstream's Content-Length; `compress` is replaceable for tests of the failure path. */
  constructor(type: CompressionType, length: number, res: ServerResponse, metrics: Metrics, owner: EncoderOwner, compress: typeof compressWhole = compressWhole) {
    this.type = type;
    this.length = length;
    this.res = res;
    this.metrics = metrics;
    this.owner = owner;
    this.compress = compress;
    // The client went away (or the response was cut): let the held pieces go now.
    res.once('close', () => {
      this.over = true;
      this.pieces = [];
    });
  }

  /** Holds the piece; never asks for a pause (the body is bounded by WHOLE_BODY_MAX_BYTES). */
  write(chunk: Buffer): boolean {
    if (this.over) return true;
    this.pieces.push(chunk);
    this.received += chunk.length;
    return true;
  }

  onDrain(): void {}

  end(): void {
    if (this.over) return;
    this.over = true;
    const pieces = this.pieces;
    this.pieces = [];
    const body = pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces, this.received);
    let out: Buffer;
    try {
      out = this.compress(this.type, body, this.length);
    } catch (err) {
      return this.owner.failed(err as Error);
    }
    this.metrics.countCompression(this.received, out.length);
    this.owner.sent(out.length);
    this.res.end(out);
    this.owner.ended();
  }
}
