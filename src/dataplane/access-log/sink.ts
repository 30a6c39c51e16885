// Where access-log lines go: lines are copied into 64 KiB chunks as they come, and a chunk is
// written out when it fills (and at least every flushMs), never a line at a time. A file is
// opened for appending (O_APPEND: every worker's chunks land whole, one after another) and a
// full chunk is written at once with write(2), as nginx's buffered access_log does: for a regular
// file that is a copy into the page cache, cheaper than a trip through the thread pool, and the
// order of chunks is kept. stdout gets chunks of at most PIPE_BUF bytes holding whole lines, so
// lines of sibling workers and of the process logger never interleave mid-line; when it cannot
// keep up, lines beyond `maxBufferedBytes` are dropped and counted rather than growing memory
// without bound.
import { closeSync, openSync, writeSync } from 'node:fs';

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
  /** Queues one line: the first `length` bytes of `line`, ending in "\n" (copied: the caller may reuse them). */
  write(line: Buffer, length: number): void;
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
  const writeAll = (chunk: Buffer) => {
    for (let off = 0; off < chunk.length; ) off += writeSync(fd, chunk, off);
  };
  return {
    maxChunk: 1 << 20,
    write: (chunk, done) => {
      try {
        writeAll(chunk);
        done(null);
      } catch (err) {
        done(err as Error);
      }
    },
    writeSync: writeAll,
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
  /** A chunk this full goes out (what is left would not hold a typical line). */
  private readonly sealAt: number;
  private readonly onDrop: (lines: number) => void;
  /** The chunk lines are copied into, and how much of it is used. */
  private current: Buffer;
  private used = 0;
  /** Full chunks waiting for the destination, oldest first, and their bytes. */
  private readonly queue: Buffer[] = [];
  private queued = 0;
  private writing = false;
  private readonly timer: NodeJS.Timeout;

  constructor(out: Output, o: SinkOptions) {
    this.out = out;
    this.chunkBytes = Math.min(o.chunkBytes ?? 64 * 1024, out.maxChunk);
    this.maxBuffered = o.maxBufferedBytes ?? 16 * 1024 * 1024;
    this.sealAt = this.chunkBytes - Math.min(512, this.chunkBytes >> 3);
    this.onDrop = o.onDrop ?? (() => undefined);
    this.current = Buffer.allocUnsafe(this.chunkBytes);
    this.timer = setInterval(() => {
      this.seal();
      this.flush();
    }, o.flushMs ?? 200).unref();
  }

  write(line: Buffer, length: number): void {
    if (length > this.current.length - this.used) {
      if (this.queued + this.used + length > this.maxBuffered) return this.onDrop(1);
      this.seal();
      // A line longer than a chunk goes alone.
      if (length > this.chunkBytes) {
        this.enqueue(Buffer.from(line.subarray(0, length)));
        return this.flush();
      }
    } else if (this.queued + this.used + length > this.maxBuffered) {
      return this.onDrop(1);
    }
    this.used += line.copy(this.current, this.used, 0, length);
    if (this.used >= this.sealAt) {
      this.seal();
      this.flush();
    }
  }

  /** Moves the lines of the current chunk to the queue and starts a new chunk. */
  private seal(): void {
    if (this.used === 0) return;
    this.enqueue(this.current.subarray(0, this.used));
    this.current = Buffer.allocUnsafe(this.chunkBytes);
    this.used = 0;
  }

  private enqueue(chunk: Buffer): void {
    this.queue.push(chunk);
    this.queued += chunk.length;
  }

  private flush(): void {
    if (this.writing) return;
    const chunk = this.queue.shift();
    if (!chunk) return;
    this.queued -= chunk.length;
    this.writing = true;
    this.out.write(chunk, () => {
      this.writing = false;
      this.flush();
    });
  }

  close(): void {
    clearInterval(this.timer);
    this.seal();
    for (const chunk of this.queue.splice(0)) this.out.writeSync(chunk);
    this.queued = 0;
    this.out.close();
  }
}

export function openSink(destination: 'stdout' | { readonly path: string }, options: SinkOptions = {}): LineSink {
  return new BufferedSink(destination === 'stdout' ? stdoutOutput() : fileOutput(destination.path), options);
}
