// The file provider: every *.yaml / *.yml under a directory (multi-document), watched. A file
// that fails to parse, or is larger than --max-manifest-bytes (then it is not even read), is
// reported (log, metric, diagnostic) and the objects of its last good parse stay in the store;
// other files are unaffected. Objects of a removed file are removed. Documents are parsed and
// converted one at a time, so a file's parse trees never all live at once.
import { createHash } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { open, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { Composer, Parser } from 'yaml';
import type { KubeObject } from '../api/core.js';
import { isWatchedObject, objectKey, type WatchedKind } from '../api/kinds.js';
import { describe, type ErrorName, type ArgsOf } from '../errors.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { Provider } from '../provider.js';
import type { Store } from '../store/store.js';
import type { Diagnostic } from '../translate/types.js';

const CLUSTER_SCOPED = new Set(['IngressClass', 'GatewayClass', 'Namespace']);
/** Safety net for missed watch events (editors that swap files, network filesystems). */
const RESCAN_INTERVAL_MS = 2000;
/** Coalesces the burst of events one save produces. */
const WATCH_SETTLE_MS = 25;

interface FileState {
  readonly hash: string;
  /** Objects from the last good parse. */
  readonly objects: readonly KubeObject[];
  /** Problems of the latest read (a parse error keeps `objects` from before). */
  readonly problems: readonly Diagnostic[];
}

export interface FileProviderOptions {
  readonly dir: string;
  /** Files larger than this are reported and skipped without being read. */
  readonly maxManifestBytes: number;
  readonly store: Store;
  readonly log: Logger;
  readonly metrics: Metrics;
}

/** Parses one file's text into objects; throws on a YAML error. */
export function parseManifest(file: string, text: string): { objects: KubeObject[]; problems: Diagnostic[]; skipped: string[] } {
  const objects: KubeObject[] = [];
  const problems: Diagnostic[] = [];
  const skipped: string[] = [];
  // One document at a time: its parse tree is garbage once its objects are taken.
  const docs = new Composer({ prettyErrors: false }).compose(new Parser().parse(text));
  let index = -1;
  for (const doc of docs) {
    index++;
    const err = doc.errors[0];
    if (err) throw new Error(err.message);
    const problem = readObject(file, index, doc.toJS() as unknown, objects, skipped);
    if (problem) problems.push(problem);
  }
  return { objects, problems, skipped };
}

/** Checks one document's value; adds it to `objects` (or `skipped`), or returns its problem. */
function readObject(file: string, index: number, value: unknown, objects: KubeObject[], skipped: string[]): Diagnostic | undefined {
  if (value === null || value === undefined) return undefined; // empty document
  const problem = (reason: string) => fileDiagnostic(file, 'ManifestObjectInvalid', file, index, reason);
  if (typeof value !== 'object' || Array.isArray(value)) return problem('is not an object');
  const obj = value as Partial<KubeObject> & { metadata?: Partial<KubeObject['metadata']> };
  if (typeof obj.kind !== 'string' || typeof obj.apiVersion !== 'string') return problem('has no kind or apiVersion');
  if (obj.kind === 'List' && Array.isArray((obj as { items?: unknown }).items)) return problem('kind List is not supported; use one document per object');
  if (typeof obj.metadata?.name !== 'string' || obj.metadata.name === '') return problem(`${obj.kind} has no metadata.name`);
  const normalized = {
    ...obj,
    metadata: CLUSTER_SCOPED.has(obj.kind)
      ? { ...obj.metadata }
      : { ...obj.metadata, namespace: obj.metadata.namespace ?? 'default' },
  } as KubeObject;
  if (isWatchedObject(normalized)) objects.push(normalized);
  else skipped.push(`${obj.apiVersion}/${obj.kind} ${objectKey(normalized)}`);
  return undefined;
}

function fileDiagnostic<N extends ErrorName>(file: string, name: N, ...args: ArgsOf<N>): Diagnostic {
  return { severity: 'error', ...describe(name, ...args), source: { kind: 'File', name: file } };
}

/** Every manifest file under `dir`, and every directory (to watch) including `dir` itself. */
async function listManifests(dir: string): Promise<{ files: string[]; dirs: string[] }> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries
    .filter((e) => e.isFile() && /\.ya?ml$/i.test(e.name) && !e.name.startsWith('.'))
    .map((e) => join(e.parentPath, e.name))
    .sort();
  const dirs = [dir, ...entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => join(e.parentPath, e.name))];
  return { files, dirs };
}

type BoundedRead = { readonly type: 'text'; readonly text: string } | { readonly type: 'too-large'; readonly bytes: number; readonly mtimeMs: number };

const READ_CHUNK_BYTES = 64 * 1024;

/**
 * A file's text, or how large it is when that is above `limit`: the size is checked before
 * reading, and the read stops after limit + 1 bytes in case the file grew meanwhile.
 */
async function readBounded(path: string, limit: number): Promise<BoundedRead> {
  const file = await open(path, 'r');
  try {
    const { size, mtimeMs } = await file.stat();
    if (size > limit) return { type: 'too-large', bytes: size, mtimeMs };
    const chunks: Buffer[] = [];
    let total = 0;
    while (total <= limit) {
      const chunk = Buffer.allocUnsafe(Math.min(READ_CHUNK_BYTES, limit + 1 - total));
      const { bytesRead } = await file.read(chunk, 0, chunk.length, total);
      if (bytesRead === 0) break;
      chunks.push(bytesRead === chunk.length ? chunk : chunk.subarray(0, bytesRead));
      total += bytesRead;
    }
    if (total > limit) return { type: 'too-large', bytes: Math.max(size, total), mtimeMs };
    return { type: 'text', text: Buffer.concat(chunks, total).toString('utf8') };
  } finally {
    await file.close();
  }
}

export class FileProvider implements Provider {
  private readonly o: FileProviderOptions;
  private readonly log: Logger;
  private readonly files = new Map<string, FileState>();
  /** What this provider put in the store, by "Kind/ns/name", to remove what disappears. */
  private readonly owned = new Map<string, { kind: WatchedKind; namespace: string | undefined; name: string }>();
  /**
   * One non-recursive watcher per directory. Node's recursive watcher on Linux loses a file
   * that is replaced by rename (how editors save) and then misses its later writes.
   */
  private readonly watchers = new Map<string, FSWatcher>();
  private timer: NodeJS.Timeout | undefined;
  private settle: NodeJS.Timeout | undefined;
  private scanning: Promise<void> = Promise.resolve();
  private rescanQueued = false;
  private dirProblem: Diagnostic | undefined;
  private stopped = false;

  constructor(options: FileProviderOptions) {
    this.o = options;
    this.log = options.log.child({ component: 'file-provider', dir: options.dir });
  }

  async start(): Promise<void> {
    await this.scan();
    this.timer = setInterval(() => this.scheduleScan(), RESCAN_INTERVAL_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
    clearInterval(this.timer);
    clearTimeout(this.settle);
    await this.scanning;
  }

  diagnostics(): readonly Diagnostic[] {
    const out: Diagnostic[] = this.dirProblem ? [this.dirProblem] : [];
    for (const state of this.files.values()) out.push(...state.problems);
    return out;
  }

  private scheduleScan(): void {
    clearTimeout(this.settle);
    this.settle = setTimeout(() => {
      if (this.rescanQueued) return;
      this.rescanQueued = true;
      this.scanning = this.scanning.then(() => {
        this.rescanQueued = false;
        return this.scan();
      });
    }, WATCH_SETTLE_MS);
  }

  /** Re-reads the directory; only files whose content changed are parsed again. */
  private async scan(): Promise<void> {
    let paths: string[];
    try {
      const listing = await listManifests(this.o.dir);
      paths = listing.files;
      this.watchDirectories(listing.dirs);
      this.dirProblem = undefined;
    } catch (err) {
      // The directory itself is unreadable: keep everything as it was.
      const reason = (err as Error).message;
      if (!this.dirProblem) this.log.error({ code: describe('ManifestUnreadable', this.o.dir, reason).code }, `cannot read ${this.o.dir}: ${reason}`);
      this.dirProblem = fileDiagnostic(this.o.dir, 'ManifestUnreadable', this.o.dir, reason);
      return;
    }
    let changed = false;
    const present = new Set(paths);
    for (const path of [...this.files.keys()]) {
      if (!present.has(path)) {
        this.files.delete(path);
        changed = true;
      }
    }
    for (const path of paths) changed = (await this.readFile(path)) || changed;
    if (changed) this.apply();
  }

  /** Keeps exactly one watcher per current directory. */
  private watchDirectories(dirs: readonly string[]): void {
    if (this.stopped) return;
    const wanted = new Set(dirs);
    for (const [dir, w] of this.watchers) {
      if (wanted.has(dir)) continue;
      w.close();
      this.watchers.delete(dir);
    }
    for (const dir of wanted) {
      if (this.watchers.has(dir)) continue;
      try {
        const w = watch(dir, () => this.scheduleScan());
        w.on('error', (err) => {
          this.log.debug({ err, dir }, 'directory watch ended; the next rescan re-establishes it');
          w.close();
          this.watchers.delete(dir);
        });
        this.watchers.set(dir, w);
      } catch (err) {
        this.log.warn({ err, dir }, 'cannot watch directory; relying on periodic rescans');
      }
    }
  }

  private async readFile(path: string): Promise<boolean> {
    const name = relative(this.o.dir, path) || path;
    const prev = this.files.get(path);
    let read: BoundedRead;
    try {
      read = await readBounded(path, this.o.maxManifestBytes);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false; // removed mid-scan; next scan drops it
      return this.failFile(path, prev, fileDiagnostic(name, 'ManifestUnreadable', name, (err as Error).message));
    }
    if (read.type === 'too-large') {
      // Reported once per version of the file (size and mtime), not on every rescan.
      const hash = `too-large:${read.bytes}:${read.mtimeMs}`;
      if (prev?.hash === hash) return false;
      return this.failFile(path, prev, fileDiagnostic(name, 'ManifestTooLarge', name, read.bytes, this.o.maxManifestBytes), hash);
    }
    const hash = createHash('sha1').update(read.text).digest('hex');
    if (prev?.hash === hash) return false;
    try {
      const { objects, problems, skipped } = parseManifest(name, read.text);
      for (const s of skipped) this.log.debug({ file: name, object: s }, 'skipping object of a kind Sluice does not watch');
      for (const p of problems) this.log.warn({ file: name, code: p.code }, p.message);
      this.files.set(path, { hash, objects, problems });
      return true;
    } catch (err) {
      return this.failFile(path, prev, fileDiagnostic(name, 'ManifestParse', name, (err as Error).message), hash);
    }
  }

  /** Records a file that cannot be used; its last good objects stay. */
  private failFile(path: string, prev: FileState | undefined, d: Diagnostic, hash = ''): boolean {
    this.log.error({ file: d.source.name, code: d.code }, d.message);
    this.o.metrics.providerErrors.labels('file', d.code).inc();
    this.files.set(path, { hash, objects: prev?.objects ?? [], problems: [d] });
    return true;
  }

  /** Diffs the union of all files' objects against what this provider last put in the store. */
  private apply(): void {
    const desired = new Map<string, KubeObject>();
    for (const state of this.files.values()) {
      for (const obj of state.objects) desired.set(`${obj.kind}/${objectKey(obj)}`, obj);
    }
    for (const [key, ref] of this.owned) {
      if (desired.has(key)) continue;
      this.o.store.remove(ref.kind, ref.namespace, ref.name);
      this.owned.delete(key);
    }
    for (const [key, obj] of desired) {
      this.o.store.upsert(obj);
      this.owned.set(key, { kind: obj.kind as WatchedKind, namespace: obj.metadata.namespace, name: obj.metadata.name });
    }
  }
}
