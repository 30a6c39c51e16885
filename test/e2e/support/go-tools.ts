// The Go test tools of test/tools/ (built from Go modules into the cache on first use): an
// OTLP/HTTP receiver that decodes protobuf with the official OTLP bindings, Prometheus's
// OpenMetrics parser, and Prometheus itself.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { cacheDir, repoRoot } from '../../cluster/harness.js';
import { eventually, freePort } from '../../support/wait.js';

type Tool = 'otlp-receiver' | 'openmetrics-parse' | 'prometheus';

const built = new Set<Tool>();

/**
 * The path of a tool, built (or found up to date) first. A cold build takes a minute for the
 * small tools, and many (up to ~15 on a loaded machine) for Prometheus: give beforeAll time.
 */
export function goTool(name: Tool): string {
  if (!built.has(name)) {
    execFileSync('bash', [join(repoRoot(), 'test', 'tools', 'build.sh'), name], { stdio: ['ignore', 'inherit', 'inherit'], timeout: 30 * 60_000 });
    built.add(name);
  }
  return join(cacheDir(), 'tools', 'bin', name);
}

/** One OpenMetrics sample as Prometheus's parser read it. */
export interface ParsedSample {
  readonly series: Readonly<Record<string, string>>;
  readonly value: number;
  readonly exemplar?: { readonly labels: Readonly<Record<string, string>>; readonly value: number; readonly timestamp?: number };
}

/** Parses an OpenMetrics exposition with Prometheus's scrape parser; throws with its error if it is malformed. */
export function parseOpenMetrics(text: string): ParsedSample[] {
  const out = execFileSync(goTool('openmetrics-parse'), { input: text, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
  return out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as ParsedSample);
}

/** A span as the receiver decoded it, ids in hex. */
export interface ReceivedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  /** Enum names: SPAN_KIND_SERVER, SPAN_KIND_CLIENT… */
  readonly kind: string;
  readonly attributes: readonly { key: string; value: { stringValue?: string; intValue?: string; boolValue?: boolean } }[];
  readonly status?: { readonly code?: string; readonly message?: string };
}

export interface ReceivedExport {
  readonly resourceSpans: readonly { resource: { attributes: ReceivedSpan['attributes'] }; scopeSpans: readonly { spans: readonly ReceivedSpan[] }[] }[];
}

/** protojson writes bytes fields (trace and span ids) in base64; OTLP/JSON and W3C use hex. */
const hexId = (b64: string | undefined): string | undefined => (b64 ? Buffer.from(b64, 'base64').toString('hex') : undefined);

export class OtlpReceiver {
  readonly exports: ReceivedExport[] = [];
  readonly endpoint: string;
  private readonly child: ChildProcess;
  private errors = '';

  private constructor(child: ChildProcess, endpoint: string) {
    this.child = child;
    this.endpoint = endpoint;
  }

  /** Starts the receiver on a free loopback port. */
  static async start(): Promise<OtlpReceiver> {
    const child = spawn(goTool('otlp-receiver'), ['-listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines = createInterface({ input: child.stdout! });
    const address = await new Promise<string>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`otlp-receiver exited with ${code}`)));
      lines.once('line', (l) => resolve(l.replace(/^listening /, '')));
    });
    const receiver = new OtlpReceiver(child, `http://${address}`);
    lines.on('line', (l) => receiver.exports.push(toHex(JSON.parse(l) as ReceivedExport)));
    child.stderr!.setEncoding('utf8').on('data', (c: string) => (receiver.errors += c));
    return receiver;
  }

  spans(): ReceivedSpan[] {
    return this.exports.flatMap((e) => e.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)));
  }

  /** What the receiver refused (an undecodable body, a wrong content type): empty when all was well. */
  refusals(): string {
    return this.errors;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.child.kill('SIGTERM');
    await exited;
  }
}

function toHex(e: ReceivedExport): ReceivedExport {
  return {
    resourceSpans: e.resourceSpans.map((r) => ({
      resource: r.resource,
      scopeSpans: r.scopeSpans.map((s) => ({
        spans: s.spans.map((sp) => {
          const parentSpanId = hexId(sp.parentSpanId);
          return { ...sp, traceId: hexId(sp.traceId)!, spanId: hexId(sp.spanId)!, ...(parentSpanId ? { parentSpanId } : {}) };
        }),
      })),
    })),
  };
}

/** An attribute's value (int64 values arrive as decimal strings in protojson). */
export function spanAttribute(s: ReceivedSpan, key: string): string | number | boolean | undefined {
  const v = s.attributes.find((a) => a.key === key)?.value;
  return v?.stringValue ?? (v?.intValue !== undefined ? Number(v.intValue) : v?.boolValue);
}

/** A real Prometheus scraping the given host:port targets every second, with exemplar storage on. */
export class Prometheus {
  readonly url: string;
  private readonly child: ChildProcess;
  private readonly dir: string;
  private log = '';

  private constructor(child: ChildProcess, url: string, dir: string) {
    this.child = child;
    this.url = url;
    this.dir = dir;
    child.stderr!.setEncoding('utf8').on('data', (c: string) => (this.log += c));
  }

  static async start(targets: readonly string[]): Promise<Prometheus> {
    const binary = goTool('prometheus');
    const dir = mkdtempSync(join(tmpdir(), 'sluice-prometheus-'));
    // Prometheus's default scrape protocols: OpenMetrics first, so exemplars come along.
    writeFileSync(join(dir, 'prometheus.yml'), `global: { scrape_interval: 1s, scrape_timeout: 900ms }\nscrape_configs:\n  - job_name: sluice\n    static_configs: [{ targets: ${JSON.stringify(targets)} }]\n`);
    const port = await freePort();
    const child = spawn(binary, [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--enable-feature=exemplar-storage', '--log.level=warn'], { stdio: ['ignore', 'ignore', 'pipe'] });
    const prometheus = new Prometheus(child, `http://127.0.0.1:${port}`, dir);
    try {
      await eventually('Prometheus ready', async () => (await fetch(`${prometheus.url}/-/ready`).catch(() => undefined))?.status === 200, 60_000);
    } catch (err) {
      await prometheus.stop();
      throw new Error(`${(err as Error).message}\n${prometheus.log}`);
    }
    return prometheus;
  }

  /** GET an /api/v1 endpoint; returns its data (throws on an API error). */
  async api<T>(path: string, params: Record<string, string>): Promise<T> {
    const r = await fetch(`${this.url}/api/v1/${path}?${new URLSearchParams(params)}`);
    const body = (await r.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`Prometheus ${path}: ${body.error}`);
    return body.data;
  }

  output(): string {
    return this.log;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
      this.child.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
