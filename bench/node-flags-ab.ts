// A/B of Sluice builds and node flags (e.g. a data-plane change, or the worker's semi-space):
// one Sluice per build × flags variant, all started the way the bench starts them (file
// provider, --workers 1, pinned to the proxy CPU), beside an nginx proxy as the reference, and
// loaded in interleaved rounds of `wrk -t1 -c64` on the small body (or --path /16k), so machine
// noise hits every variant alike. Not part of `npm run bench`.
//
//   node bench/node-flags-ab.ts [--rounds 6] [--seconds 5] --variant "" --variant "--max-semi-space-size=64"
//   node bench/node-flags-ab.ts --build /tmp/before/dist --build dist     # two builds, default flags
//   node bench/node-flags-ab.ts --build /tmp/before/dist --build dist "--sluice-args=--access-log {dir}/access.log"
//   node bench/node-flags-ab.ts --peer node-proxy --peer net-proxy    # Node peers in the same rounds
//   node bench/node-flags-ab.ts --path /16k --seconds 10 --variant= --variant=--heap-growing-percent=0
//   node bench/node-flags-ab.ts --seconds 10 --idle 20 --sluice-variant= --sluice-variant="--upstream-keep-alive-timeout 4s"
//
// A build is a dist/ folder whose main.js resolves its packages (a git worktree with this
// checkout's node_modules linked in). Reported per variant: median req/s and its ratio to
// nginx's median, median CPU µs per request of the process group and its ratio to nginx's, the
// kernel's part of it, median p50, p99 and p99.9 (wrk's, at saturation), the p99's ratio to
// nginx's, the worst round's p99.9, and the group's RSS at the end of each round (median, last)
// and before each (after its idle spell).
// --idle leaves every server that many seconds without load before each of its rounds.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { BENCH_HOST } from './lib/context.ts';
import { ensureTools } from './lib/install.ts';
import { originRouteManifests } from './lib/manifests.ts';
import { freePorts, LOOPBACK, sleep } from './lib/net.ts';
import { argWords, groupCpuSplit, groupRssMiB, installCleanup, stopAll, usPerRequest } from './lib/processes.ts';
import { NODE_PEERS, type NodePeer, type Server, SLUICE_MAIN, startNginxProxy, startNodePeer, startOrigin, startSluice, Workspace } from './lib/servers.ts';
import { startWrk } from './lib/wrk.ts';

const { values: opts } = parseArgs({
  options: {
    rounds: { type: 'string', default: '6' },
    seconds: { type: 'string', default: '5' },
    // The origin path: / answers 3 bytes, /16k 16 KiB.
    path: { type: 'string', default: '/' },
    variant: { type: 'string', multiple: true, default: [''] },
    // Sluice arguments per variant (crossed with --variant and --build), e.g. "--upstream-keep-alive-timeout 4s".
    'sluice-variant': { type: 'string', multiple: true, default: [''] },
    // Seconds without load before each round of each server.
    idle: { type: 'string', default: '0' },
    // Seconds of the one warm-up run each server gets.
    warm: { type: 'string', default: '3' },
    build: { type: 'string', multiple: true, default: [] },
    // Sluice arguments for every variant; {dir} stands for a folder of the variant's own (e.g. --access-log {dir}/access.log).
    'sluice-args': { type: 'string', default: '' },
    // Node peers in the same rounds (lib/peers/: node-proxy, fastify-proxy, net-proxy), after nginx.
    peer: { type: 'string', multiple: true, default: [] },
  },
});

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** One server under test and its per-round figures. */
interface Variant {
  readonly name: string;
  readonly server: Server;
  readonly rps: number[];
  readonly cpu: number[];
  readonly sys: number[];
  readonly p50: number[];
  readonly p99: number[];
  readonly p999: number[];
  readonly rss: number[];
  /** Before each round, after its idle spell. */
  readonly rssIdle: number[];
}

const variant = (name: string, server: Server): Variant => ({ name, server, rps: [], cpu: [], sys: [], p50: [], p99: [], p999: [], rss: [], rssIdle: [] });

async function main(): Promise<void> {
  installCleanup();
  const tools = await ensureTools((l) => console.log(l));
  const ws = new Workspace();
  try {
    const [originPort, altA, altB] = await freePorts(3);
    const origin = await startOrigin(ws, tools, { main: originPort!, altA: altA!, altB: altB! }, '0');
    const manifests = originRouteManifests(join(ws.dir, 'manifests'), origin.port, BENCH_HOST);
    const builds = opts.build!.length > 0 ? opts.build!.map((d) => join(resolve(d), 'main.js')) : [SLUICE_MAIN];
    const variants: Variant[] = [];
    const [nginxPort] = await freePorts(1);
    variants.push(variant('nginx', await startNginxProxy(ws, tools, nginxPort!, origin.port, '1')));
    for (const peer of opts.peer!) {
      if (!NODE_PEERS.includes(peer as NodePeer)) throw new Error(`--peer wants one of ${NODE_PEERS.join(', ')}`);
      const [peerPort] = await freePorts(1);
      variants.push(variant(peer, await startNodePeer(ws, peer as NodePeer, peerPort!, origin.port, '1')));
    }
    for (const main of builds) {
      for (const flags of opts.variant!) {
        for (const args of opts['sluice-variant']!) {
          const name = [builds.length > 1 ? main : '', flags, args].filter((x) => x !== '').join(' ') || '(default)';
          const [httpPort, adminPort] = await freePorts(2);
          const dir = join(ws.dir, `variant-${variants.length}`);
          mkdirSync(dir);
          const extraArgs = [...argWords(opts['sluice-args']!), ...argWords(args)].map((a) => a.replaceAll('{dir}', dir));
          const server = await startSluice({ name: `sluice ${name}`, main, manifests: manifests.path, httpPort: httpPort!, adminPort: adminPort!, cpus: '1', workers: 1, nodeArgs: argWords(flags), extraArgs });
          variants.push(variant(name, server));
        }
      }
    }
    const seconds = Number(opts.seconds);
    const width = Math.max(...variants.map((v) => v.name.length)) + 2;
    // One warm-up run each.
    for (const v of variants) await startWrk({ wrk: tools.wrk, url: `http://${LOOPBACK}:${v.server.port}${opts.path}`, connections: 64, durationS: Number(opts.warm), cpus: '0', host: BENCH_HOST }).done;
    for (let r = 0; r < Number(opts.rounds); r++) {
      for (const v of variants) {
        await sleep(Number(opts.idle) * 1000);
        v.rssIdle.push(groupRssMiB(v.server.group.pid));
        const before = groupCpuSplit(v.server.group.pid);
        const w = await startWrk({ wrk: tools.wrk, url: `http://${LOOPBACK}:${v.server.port}${opts.path}`, connections: 64, durationS: seconds, cpus: '0', host: BENCH_HOST, tail: true }).done;
        const after = groupCpuSplit(v.server.group.pid);
        v.rps.push(w.rps);
        v.p50.push(w.p50Ms);
        v.p99.push(w.p99Ms);
        v.p999.push(w.p999Ms!);
        v.rss.push(groupRssMiB(v.server.group.pid));
        v.cpu.push(usPerRequest(after.total - before.total, w.requests));
        v.sys.push(usPerRequest(after.sys - before.sys, w.requests));
        console.log(`round ${r + 1} ${v.name.padEnd(width)} ${Math.round(w.rps).toLocaleString('en-US').padStart(7)} req/s  ${v.cpu.at(-1)!.toFixed(1)} µs/req (kernel ${v.sys.at(-1)!.toFixed(1)})  p50 ${w.p50Ms} p99 ${w.p99Ms} p99.9 ${w.p999Ms} max ${w.maxMs} ms  RSS ${v.rssIdle.at(-1)!.toFixed(1)} → ${v.rss.at(-1)!.toFixed(1)} MiB`);
      }
    }
    const nginx = variants[0]!;
    console.log(`\n${'variant'.padEnd(width)} median req/s  vs nginx  median µs/req  ÷ nginx  of it kernel  p50 ms  p99 ms  p99 ÷ nginx  p99.9 ms  worst p99.9  group RSS MiB (median, last)  before rounds (median)`);
    for (const v of variants) {
      const rps = median(v.rps);
      const cpu = median(v.cpu);
      console.log(`${v.name.padEnd(width)} ${Math.round(rps).toLocaleString('en-US').padStart(12)} ${(rps / median(nginx.rps)).toFixed(3).padStart(9)} ${cpu.toFixed(1).padStart(14)} ${(cpu / median(nginx.cpu)).toFixed(2).padStart(8)} ${median(v.sys).toFixed(1).padStart(12)} ${median(v.p50).toFixed(2).padStart(7)} ${median(v.p99).toFixed(2).padStart(7)} ${(median(v.p99) / median(nginx.p99)).toFixed(2).padStart(12)} ${median(v.p999).toFixed(2).padStart(9)} ${Math.max(...v.p999).toFixed(2).padStart(12)} ${median(v.rss).toFixed(1).padStart(14)} ${v.rss.at(-1)!.toFixed(1).padStart(6)} ${median(v.rssIdle).toFixed(1).padStart(21)}`);
    }
  } finally {
    await stopAll();
    ws.remove();
  }
}

await main();
