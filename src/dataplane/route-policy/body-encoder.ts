// A compressed response body: what the exchange writes the upstream body into when the answer
// is compressed. Two encoders behind one interface:
// - a body of known length up to WHOLE_BODY_MAX_BYTES is held until complete and compressed in
//   one synchronous call on the serving loop (whole-body-encoder.ts), as nginx and Envoy
//   compress on their event loops: for such a body the thread-pool stream costs more than the
//   compression itself (16 KiB of JSON at gzip 6: 214 µs of CPU through a zlib stream, 127 in
//   one gzipSync; brotli 211 / 118, zstd 173 / 64);
// - any other body (longer, or without Content-Length: chunked, an event stream) streams
//   through a node:zlib stream on libuv's thread pool (StreamingEncoder below). Nothing is
//   buffered beyond the streams' own high-water marks: the exchange pauses the upstream while
//   the compressor's input is full, and the compressor's output pauses while the client's
//   socket is.
//
// Levels, for a proxy that compresses on the fly at a CPU cost per request:
// - gzip 6: zlib's own default (and Envoy's); on JSON it is about a fifth smaller than level 1,
//   and the levels above it cost a good deal more CPU for about 1 % less.
// - brotli quality 4, 512 KiB window (lgwin 19, as ngx_brotli): smaller than gzip 6 for less
//   CPU; qualities from 5 up cost more per byte than they save on dynamic content.
// - zstd level 3: zstd's default, faster than gzip 1 and about as small as gzip 5.
//
// Flushing: a body of known length (Content-Length) is compressed in full blocks. A body
// without one — chunked, an event stream — is flushed after every upstream chunk (a sync
// flush), so each piece the backend sends reaches the client at once; this costs a few bytes
// per chunk, not the ratio.
import type { ServerResponse } from 'node:http';
import zlib from 'node:zlib';
import type { Metrics } from '../../metrics.js';
import type { CompressionType } from '../../table/types.js';

const C = zlib.constants;
export const GZIP_LEVEL = 6;
export const BROTLI_QUALITY = 4;
export const BROTLI_WINDOW_BITS = 19;
export const ZSTD_LEVEL = 3;

/** What the encoder reports back to its exchange. */
export interface EncoderOwner {
  /** Compressed bytes handed to the client. */
  sent(bytes: number): void;
  /** The last compressed byte was handed to the client and the response ended. */
  ended(): void;
  /** The compressor failed: the response cannot complete. */
  failed(err: Error): void;
}

/**
 * Largest known body compressed whole on the serving loop: at most ≈ 0.3 ms of loop time (gzip 6
 * on 64 KiB of JSON), and less memory held than a zlib stream's own state (≈ 256 KiB for gzip).
 */
export const WHOLE_BODY_MAX_BYTES = 64 * 1024;

/** What the exchange writes a compressed body into. */
export interface BodyEncoder {
  /** Writes upstream bytes; false: the compressor's input is full, wait for `onDrain`. */
  write(chunk: Buffer): boolean;
  onDrain(resume: () => void): void;
  /** The upstream body is complete: compress the rest, then end the response (owner.ended). */
  end(): void;
}

/** The compressor's settings for a body of `length` bytes (undefined: unknown); `streaming` flushes after every write. */
export function compressorOptions(type: CompressionType, length: number | undefined, streaming: boolean): zlib.ZlibOptions | zlib.BrotliOptions | zlib.ZstdOptions {
  switch (type) {
    case 'gzip': {
      // As nginx does: a body shorter than the window gets a smaller one (less memory to set up).
      let windowBits = 15;
      let memLevel = 8;
      while (length !== undefined && windowBits > 9 && length < (1 << (windowBits - 1)) - 262) {
        windowBits--;
        memLevel = Math.max(1, memLevel - 1);
      }
      return { level: GZIP_LEVEL, windowBits, memLevel, flush: streaming ? C.Z_SYNC_FLUSH : C.Z_NO_FLUSH };
    }
    case 'br':
      return {
        flush: streaming ? C.BROTLI_OPERATION_FLUSH : C.BROTLI_OPERATION_PROCESS,
        params: { [C.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY, [C.BROTLI_PARAM_LGWIN]: BROTLI_WINDOW_BITS, ...(length !== undefined ? { [C.BROTLI_PARAM_SIZE_HINT]: length } : {}) },
      };
    case 'zstd':
      return { flush: streaming ? C.ZSTD_e_flush : C.ZSTD_e_continue, params: { [C.ZSTD_c_compressionLevel]: ZSTD_LEVEL } };
  }
}

type Compressor = zlib.Gzip | zlib.BrotliCompress | zlib.ZstdCompress;
type CompressorOptions = ReturnType<typeof compressorOptions>;

/** Each encoding's zlib stream and its one-shot call, both fed compressorOptions. */
export const ZLIB_ENGINES: Readonly<Record<CompressionType, { readonly stream: (o: CompressorOptions) => Compressor; readonly whole: (body: Buffer, o: CompressorOptions) => Buffer }>> = {
  gzip: { stream: (o) => zlib.createGzip(o as zlib.ZlibOptions), whole: (body, o) => zlib.gzipSync(body, o as zlib.ZlibOptions) },
  br: { stream: (o) => zlib.createBrotliCompress(o as zlib.BrotliOptions), whole: (body, o) => zlib.brotliCompressSync(body, o as zlib.BrotliOptions) },
  zstd: { stream: (o) => zlib.createZstdCompress(o as zlib.ZstdOptions), whole: (body, o) => zlib.zstdCompressSync(body, o as zlib.ZstdOptions) },
};

/** A body compressed as it streams, on libuv's thread pool. */
export class StreamingEncoder implements BodyEncoder {
  private readonly stream: Compressor;
  private readonly metrics: Metrics;
  private readonly length: number | undefined;
  private bytesIn = 0;
  private bytesOut = 0;
  private settled = false;
  /** The upstream body is complete (the compressor has all its input). */
  private ended = false;
  /** Once `ended`: the newest output, held to go out with the response's end (one write, not two). */
  private last: Buffer | undefined;

  /** `length`: the upstream's Content-Length, when it sent one (then the body is not flushed per chunk). */
  constructor(type: CompressionType, length: number | undefined, res: ServerResponse, metrics: Metrics, owner: EncoderOwner) {
    this.metrics = metrics;
    this.length = length;
    const stream = (this.stream = ZLIB_ENGINES[type].stream(compressorOptions(type, length, length === undefined)));
    const resume = (): void => void stream.resume();
    stream.on('data', (out: Buffer) => {
      this.bytesOut += out.length;
      owner.sent(out.length);
      const write = this.ended ? this.last : out;
      if (this.ended) this.last = out;
      if (write && !res.write(write)) {
        stream.pause();
        res.once('drain', resume);
      }
    });
    stream.once('end', () => {
      this.settle();
      const last = this.last;
      this.last = undefined;
      res.end(last);
      owner.ended();
    });
    stream.once('error', (err) => {
      this.settle();
      owner.failed(err);
    });
    // The client went away (or the response was cut): free the compressor's memory now.
    res.once('close', () => {
      this.settle();
      stream.destroy();
    });
  }

  /** Writes upstream bytes; false: the compressor's input is full, wait for `onDrain`. */
  write(chunk: Buffer): boolean {
    this.bytesIn += chunk.length;
    if (this.bytesIn === this.length) {
      // The last bytes of a known length: compressed and finished in one pass on the thread
      // pool rather than two (a body that arrives in one piece costs one round trip).
      this.ended = true;
      this.stream.end(chunk);
      return true;
    }
    return this.stream.write(chunk);
  }

  onDrain(resume: () => void): void {
    this.stream.on('drain', resume);
  }

  /** The upstream body is complete: compress the rest, then end the response (owner.ended). */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.stream.end();
  }

  private settle(): void {
    if (this.settled) return;
    this.settled = true;
    this.metrics.countCompression(this.bytesIn, this.bytesOut);
  }
}
