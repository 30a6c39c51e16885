// The access log of one data-plane worker: one JSON line per finished request (answers of the
// proxy itself included), sampled, encoded to bytes with the compiled field selection and queued on a
// buffered sink. Absent (undefined on the proxy context) when --access-log is off, so a request
// then pays one property read.
import type { IncomingMessage } from 'node:http';
import type { AccessLogConfig } from '../../config/config.js';
import { compileFormatter, type LineFormatter } from './format.js';
import { LineEncoder } from './line-encoder.js';
import { RequestRecord } from './record.js';
import { type LineSink, openSink, type SinkOptions } from './sink.js';

export class AccessLog {
  private readonly sink: LineSink;
  private readonly format: LineFormatter;
  private readonly line = new LineEncoder();
  private readonly sample: number;
  private readonly random: () => number;
  private readonly record = new RequestRecord();

  constructor(sink: LineSink, config: Pick<AccessLogConfig, 'fields' | 'sample'>, random: () => number = Math.random) {
    this.sink = sink;
    this.format = compileFormatter(config.fields);
    this.sample = config.sample;
    this.random = random;
  }

  /**
   * The record to fill for a request that finished now, or undefined when sampling skips it.
   * Fill it and pass it to `write` before anything else asks for one.
   */
  begin(req: IncomingMessage, started: number): RequestRecord | undefined {
    if (this.sample < 1 && !(this.random() < this.sample)) return undefined;
    return this.record.reset(req, started);
  }

  write(r: RequestRecord): void {
    if (r.ended === 0) r.ended = performance.now();
    const line = this.line;
    line.reset();
    this.format(r, line);
    this.sink.write(line.buf, line.length);
  }

  close(): void {
    this.sink.close();
  }
}

/** The worker's access log from --access-log*, or undefined when it is off. */
export function createAccessLog(config: AccessLogConfig, options: SinkOptions = {}): AccessLog | undefined {
  if (config.destination === 'off') return undefined;
  return new AccessLog(openSink(config.destination, options), config);
}
