// Micro-benchmark of the endpoint balancers (src/dataplane/balancer/), which run once per
// request attempt: ns per pick for each algorithm at 3, 10 and 100 endpoints, with and without
// a skip set (one endpoint ejected), ns per stableHash of typical keys (the exchange hashes the
// consistent-hash key per request), and the Maglev table build (on the first keyed pick after
// an endpoint change) for 10 to 1000 endpoints × 65537 slots. Median of several rounds, timed
// in CPU time of this process (process.cpuUsage), so that other load on a shared machine
// inflates the numbers less than wall-clock time would.
//
//   npm run build && node_modules/.bin/node bench/balancers.ts [--quick]
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from './lib/servers.ts';
import { median, round } from './lib/stats.ts';

interface Target {
  readonly key: string;
  readonly endpoint: unknown;
  inflight: number;
  readonly addedAt: number;
}
interface PickContext {
  readonly clientAddress: string;
  readonly hashKey: number | undefined;
}
interface SkipSet {
  skips(target: Target): boolean;
}
interface Balancer {
  pick(context: PickContext, skip: SkipSet | undefined): Target | undefined;
}
interface Clock {
  now(): number;
  random(): number;
}

const dist = (path: string) => pathToFileURL(join(REPO_ROOT, 'dist', 'dataplane', 'balancer', path)).href;
const { createBalancer, SYSTEM_CLOCK } = (await import(dist('balancer.js'))) as {
  createBalancer(policy: object, targets: readonly Target[], clock?: Clock): Balancer;
  SYSTEM_CLOCK: Clock;
};
const { stableHash } = (await import(dist('stable-hash.js'))) as { stableHash(s: string, seed?: number): number };
const { buildMaglevTable } = (await import(dist('maglev.js'))) as { buildMaglevTable(keys: readonly string[], size: number): ArrayLike<number> };

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 3 : 7;
const PICKS = quick ? 200_000 : 1_000_000;

const targets = (n: number): Target[] =>
  Array.from({ length: n }, (_, i) => ({ key: `10.0.${i >> 8}.${i & 255}:8080`, endpoint: {}, inflight: 0, addedAt: -Infinity }));

const POLICIES: readonly (readonly [string, object])[] = [
  ['RoundRobin', { type: 'RoundRobin' }],
  ['RoundRobin, ramping (slow start)', { type: 'RoundRobin', slowStartMs: 3_600_000 }],
  ['LeastRequest P2C', { type: 'LeastRequest' }],
  ['LeastRequest full scan', { type: 'LeastRequest', choiceCount: 0 }],
  ['Random', { type: 'Random' }],
  ['ConsistentHash (Maglev 65537)', { type: 'ConsistentHash', consistentHash: { key: { type: 'SourceIP' }, tableSize: 65537 } }],
];

let sink = 0;

/** Nanoseconds of CPU time (user + system) this process has used. */
function cpuNs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) * 1000;
}

function nsPerPick(balancer: Balancer, skip: SkipSet | undefined, contexts: readonly PickContext[]): number {
  const mask = contexts.length - 1;
  const start = cpuNs();
  for (let i = 0; i < PICKS; i++) {
    const t = balancer.pick(contexts[i & mask]!, skip)!;
    // Loads cycle 0…7 per endpoint, so least-request compares unequal numbers as under traffic.
    t.inflight = (t.inflight + 1) & 7;
    sink += t.inflight;
  }
  return (cpuNs() - start) / PICKS;
}

function row(cells: readonly string[], widths: readonly number[]): string {
  return `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
}

function printTable(header: readonly string[], rows: readonly string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  console.log(row(header, widths));
  console.log(`|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
  for (const r of rows) console.log(row(r, widths));
  console.log('');
}

function main(): void {
  console.log(`node ${process.version}, median of ${ROUNDS} rounds of ${PICKS} picks\n`);
  const contexts = Array.from({ length: 4096 }, (_, i) => ({ clientAddress: '', hashKey: stableHash(`user-${i}`) }));
  const sizes = [3, 10, 100];
  const header = ['ns per pick', ...sizes.map((n) => `${n}`), ...sizes.map((n) => `${n}, 1 skipped`)];
  const rows: string[][] = [];
  for (const [name, policy] of POLICIES) {
    const cells = [name];
    for (const skipping of [false, true]) {
      for (const n of sizes) {
        const ts = targets(n);
        // Ramping: one endpoint added now, so every pick runs the weighted path.
        const ramp = name.includes('ramping');
        const list = ramp ? ts.map((t, i) => (i === 0 ? { ...t, addedAt: SYSTEM_CLOCK.now() } : t)) : ts;
        const balancer = createBalancer(policy, list, SYSTEM_CLOCK);
        const ejected = list[1]!;
        const skip = skipping ? { skips: (t: Target) => t === ejected } : undefined;
        nsPerPick(balancer, skip, contexts); // warm-up (and the Maglev build)
        cells.push(String(round(median(Array.from({ length: ROUNDS }, () => nsPerPick(balancer, skip, contexts))), 1)));
      }
    }
    rows.push(cells);
  }
  printTable(header, rows);

  const keys = [['client IP', '203.0.113.77'], ['IPv6 client', '2001:db8:85a3::8a2e:370:7334'], ['cookie value (32 hex)', 'f3a9c27e5b1d4e08a6c3b9d2e7f1a405'], ['header, non-ASCII', 'Zürich-東京-user']];
  const hashRows: string[][] = [];
  for (const [name, key] of keys) {
    const calls = PICKS * 2;
    const once = () => {
      const start = cpuNs();
      for (let i = 0; i < calls; i++) sink ^= stableHash(key!);
      return (cpuNs() - start) / calls;
    };
    once();
    hashRows.push([`${name} (${key!.length} chars)`, String(round(median(Array.from({ length: ROUNDS }, once)), 1))]);
  }
  printTable(['stableHash', 'ns per call'], hashRows);

  const buildRows: string[][] = [];
  for (const n of [10, 100, 1000]) {
    const endpointKeys = targets(n).map((t) => t.key);
    buildMaglevTable(endpointKeys, 65537);
    const times = Array.from({ length: ROUNDS }, () => {
      const start = cpuNs();
      sink += buildMaglevTable(endpointKeys, 65537)[0]!;
      return (cpuNs() - start) / 1e6;
    });
    buildRows.push([`${n} endpoints`, String(round(median(times), 2)), String(round(Math.max(...times), 2))]);
  }
  printTable(['Maglev build, 65537 slots', 'median ms', 'max ms'], buildRows);
  if (sink === 0.5) console.log(sink);
}

main();
