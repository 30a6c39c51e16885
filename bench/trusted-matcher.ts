// Micro-benchmark of the --trusted-proxies matcher (src/dataplane/edge/trusted.ts), which runs per
// connection and per X-Forwarded-For hop: ns per call for a repeated address (cache hit), a stream
// of distinct addresses (always a miss), and bare BlockList.check for comparison.
// `npm run build && node bench/trusted-matcher.ts`
import { BlockList } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from './lib/servers.ts';

type Matcher = (address: string) => boolean;
const { createTrustedMatcher } = (await import(pathToFileURL(join(REPO_ROOT, 'dist', 'dataplane', 'edge', 'trusted.js')).href)) as {
  createTrustedMatcher(cidrs: readonly string[]): Matcher;
};

const CIDRS = ['10.0.0.0/8', '172.16.0.0/12', 'fd00::/8'];
const CALLS = 2_000_000;
const distinct = Array.from({ length: 65536 }, (_, i) => `203.0.${i >> 8}.${i & 255}`);

function nsPerCall(label: string, fn: (i: number) => boolean): void {
  let hits = 0;
  for (let i = 0; i < CALLS / 10; i++) if (fn(i)) hits++; // warm-up
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < CALLS; i++) if (fn(i)) hits++;
  const ns = Number(process.hrtime.bigint() - t0) / CALLS;
  console.log(`${label.padEnd(44)} ${ns.toFixed(1).padStart(7)} ns/call  (${hits} trusted)`);
}

const matcher = createTrustedMatcher(CIDRS);
const list = new BlockList();
list.addSubnet('10.0.0.0', 8, 'ipv4');
list.addSubnet('172.16.0.0', 12, 'ipv4');
list.addSubnet('fd00::', 8, 'ipv6');
const proxies = ['10.1.2.3', '10.1.2.4', '::ffff:10.9.9.9', 'fd00::7'];

nsPerCall('matcher, 4 proxy addresses (cache hits)', (i) => matcher(proxies[i & 3]!));
nsPerCall('matcher, 65536 distinct clients (misses)', (i) => matcher(distinct[i & 65535]!));
nsPerCall('BlockList.check, 4 proxy addresses', (i) => list.check(proxies[i & 3]!, proxies[i & 3]!.includes(':') ? 'ipv6' : 'ipv4'));
nsPerCall('BlockList.check, 65536 distinct clients', (i) => list.check(distinct[i & 65535]!, 'ipv4'));
