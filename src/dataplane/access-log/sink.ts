// Where access-log lines go: a buffer that is written out in large chunks, off the request path.
// A file is opened for appending (O_APPEND: every worker's chunks land whole, one after another)
// and written through the thread pool; stdout gets chunks of at most PIPE_BUF bytes cut at line
// ends, so lines of sibling workers and of the process logger never interleave mid-line. When
// the destination cannot keep up, lines beyond `maxBufferedBytes` are dropped and counted
// rather than growing memory without bound.
import { closeSync, openSync, write, writeSync } from 'node:fs';

/** Writes larger than this to a pipe may interleave with other writers (Linux PIPE_BUF). */
const PIPE_BUF = 4096;

export interface SinkOptions {
  /** Chunk size that triggers a write before the timer does. */
  readonly chunkBytes?: number;
  /** Lines waiting beyond this are dropped (the destination is stalled). */
  readonly maxBufferedBytes?: number;
  /** Longest a line waits in the buffer. */
  readonly flushMs?: number;
  /** Called with the number of lines dropped. */
  readonly onDrop?: (lines: number) => void;
}

export interface LineSink {
  /** Queues one line (ending in "\n"). */
  write(line: string): void;
  /** Writes out everything queued, synchronously (shutdown). */
  close(): void;
}

interface Output {
  /** Largest chunk one write may carry. */
  readonly maxChunk: number;
  write(chunk: Buffer, done: (err: Error | null) => void): void;
  writeSync(chunk: Buffer): void;
  close(): void;
}

function fileOutput(path: string): Output {
  const fd = openSync(path, 'a');
  return {
    maxChunk: 1 << 20,
    write: (chunk, done) => write(fd, chunk, (err) => done(err)),
    writeSync: (chunk) => {
      for (let off = 0; off < chunk.length; ) off += writeSync(fd, chunk, off);
    },
    close: () => closeSync(fd),
  };
}

function stdoutOutput(): Output {
  return {
    maxChunk: PIPE_BUF,
    write: (chunk, done) => process.stdout.write(chunk, (err) => done(err ?? null)),
    writeSync: (chunk) => process.stdout.write(chunk),
    close: () => undefined,
  };
}

class BufferedSink implements LineSink {
  private readonly out: Output;
  private readonly chunkBytes: number;
  private readonly maxBuffered: number;
  private readonly onDrop: (lines: number) => void;
  private pending = '';
  private writing = false;
  private readonly timer: NodeJS.Timeout;

  constructor(out: Output, o: SinkOptions) {
    this.out = out;
    this.chunkBytes = Math.min(o.chunkBytes ?? 64 * 1024, out.maxChunk);
    this.maxBuffered = o.maxBufferedBytes ?? 16 * 1024 * 1024;
    this.onDrop = o.onDrop ?? (() => undefined);
    this.timer = setInterval(() => this.flush(), o.flushMs ?? 200).unref();
  }

  write(line: string): void {
    if (this.pending.length + line.length > this.maxBuffered) return this.onDrop(1);
    this.pending += line;
    if (!this.writing && this.pending.length >= this.chunkBytes) this.flush();
  }

  /** The next chunk: whole lines, at most the output's chunk size (a longer single line alone). */
  private take(): Buffer {
    const max = this.out.maxChunk;
    let text = this.pending;
    // Characters never outnumber bytes: cut by characters, then halve while the bytes overflow.
    for (let limit = max; Buffer.byteLength(text) > max; limit >>= 1) {
      const cut = text.lastIndexOf('\n', limit - 1);
      if (cut === -1 || limit < 2) {
        text = text.slice(0, text.indexOf('\n') + 1 || text.length);
        break;
      }
      text = text.slice(0, cut + 1);
    }
    this.pending = this.pending.slice(text.length);
    return Buffer.from(text);
  }

  private flush(): void {
    if (this.writing || this.pending.length === 0) return;
    this.writing = true;
    this.out.write(this.take(), () => {
      this.writing = false;
      if (this.pending.length >= this.chunkBytes) this.flush();
    });
  }

  close(): void {
    clearInterval(this.timer);
    while (this.pending.length > 0) this.out.writeSync(this.take());
    this.out.close();
  }
}

export function openSink(destination: 'stdout' | { readonly path: string }, options: SinkOptions = {}): LineSink {
  return new BufferedSink(destination === 'stdout' ? stdoutOutput() : fileOutput(destination.path), options);
}
