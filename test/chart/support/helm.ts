// The real `helm` and `kubectl` (test/cluster/build-helm.sh puts them in the cache dir) for the
// chart tests and the Helm integration tests: run them, render the chart, read what it renders.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { cacheDir } from '../../cluster/harness.js';

export const REPO = process.cwd();
export const CHART = join(REPO, 'charts', 'sluice');

/** A rendered Kubernetes object (test JSON). */
export interface K8sObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  readonly [key: string]: any;
}

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function tool(name: 'helm' | 'kubectl'): string {
  const fromEnv = process.env[name === 'helm' ? 'SLUICE_HELM' : 'SLUICE_KUBECTL'];
  const path = fromEnv ?? join(cacheDir(), 'helm', 'bin', name);
  if (!existsSync(path)) throw new Error(`${path} not found: run \`bash test/cluster/build-helm.sh\` (npm run test:chart does)`);
  return path;
}

// Helm's own config, cache and data dirs: one throw-away set per test process, never ~/.config.
const helmHome = mkdtempSync(join(tmpdir(), 'sluice-helm-'));
process.once('exit', () => rmSync(helmHome, { recursive: true, force: true }));
const HELM_ENV = { HELM_CONFIG_HOME: join(helmHome, 'config'), HELM_CACHE_HOME: join(helmHome, 'cache'), HELM_DATA_HOME: join(helmHome, 'data') };

function run(bin: string, args: readonly string[], env: Readonly<Record<string, string>>, timeoutMs: number): Promise<Run> {
  return new Promise((resolve) => {
    execFile(bin, args, { env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: helmHome, ...HELM_ENV, ...env }, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs helm; never throws for a non-zero exit (tests look at code and stderr). */
export function helm(args: readonly string[], env: Readonly<Record<string, string>> = {}, timeoutMs = 120_000): Promise<Run> {
  return run(tool('helm'), args, env, timeoutMs);
}

export function kubectl(args: readonly string[], env: Readonly<Record<string, string>> = {}, timeoutMs = 60_000): Promise<Run> {
  return run(tool('kubectl'), args, env, timeoutMs);
}

/** Like helm() but throws unless it exited 0. */
export async function mustHelm(args: readonly string[], env: Readonly<Record<string, string>> = {}, timeoutMs?: number): Promise<string> {
  const r = await helm(args, env, timeoutMs);
  if (r.code !== 0) throw new Error(`helm ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

let valuesCount = 0;
const valuesDir = join(helmHome, 'values');

/** Writes values (any JSON, which is YAML) to a file and returns the `-f FILE` arguments. */
export function valuesArgs(values: Record<string, unknown> | undefined): string[] {
  if (values === undefined) return [];
  mkdirSync(valuesDir, { recursive: true });
  const file = join(valuesDir, `values-${valuesCount++}.yaml`);
  writeFileSync(file, JSON.stringify(values));
  return ['-f', file];
}

export interface TemplateOptions {
  readonly values?: Record<string, unknown>;
  readonly namespace?: string;
  readonly release?: string;
  /** Extra helm template arguments, e.g. --include-crds or --api-versions. */
  readonly args?: readonly string[];
}

/** `helm template` of charts/sluice: its exit, output and error text. */
export function templateRun(o: TemplateOptions = {}): Promise<Run> {
  return helm(['template', o.release ?? 'sluice', CHART, '--namespace', o.namespace ?? 'sluice-system', ...valuesArgs(o.values), ...(o.args ?? [])]);
}

/** `helm template` of charts/sluice as objects; throws with helm's message if it fails. */
export async function template(o: TemplateOptions = {}): Promise<K8sObject[]> {
  const r = await templateRun(o);
  if (r.code !== 0) throw new Error(`helm template failed: ${r.stderr}`);
  return parseManifests(r.stdout);
}

/** Multi-document YAML → objects (empty documents dropped); duplicate keys fail. */
export function parseManifests(text: string): K8sObject[] {
  return parseAllDocuments(text, { uniqueKeys: true })
    .map((d) => {
      if (d.errors.length > 0) throw new Error(`invalid YAML: ${d.errors[0]!.message}`);
      return d.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null && typeof o === 'object');
}

export function objectsOf(objs: readonly K8sObject[], kind: string): K8sObject[] {
  return objs.filter((o) => o.kind === kind);
}

export function one(objs: readonly K8sObject[], kind: string, name?: string): K8sObject {
  const found = objs.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (found.length !== 1) throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}: ${objs.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  return found[0]!;
}

/** The Sluice container of the chart's Deployment. */
export function sluiceContainer(objs: readonly K8sObject[]): any {
  const containers = one(objs, 'Deployment').spec.template.spec.containers as { name: string }[];
  const c = containers.find((x) => x.name === 'sluice');
  if (!c) throw new Error('no sluice container in the Deployment');
  return c;
}

/** The container's args as a map flag → value ("--name=value" each). */
export function flagsOf(args: readonly string[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (const arg of args) {
    const m = /^--([a-z0-9-]+)=(.*)$/s.exec(arg);
    if (!m) throw new Error(`argument ${JSON.stringify(arg)} is not --flag=value`);
    if (flags.has(m[1]!)) throw new Error(`--${m[1]} given twice`);
    flags.set(m[1]!, m[2]!);
  }
  return flags;
}
