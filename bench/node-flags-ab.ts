// A/B of node flags for Sluice (e.g. the worker's semi-space): one Sluice per variant, all
// started the way the bench starts them (file provider, --workers 1, pinned to the proxy CPU)
// and loaded in interleaved rounds of `wrk -t1 -c64` on the small body, so machine noise hits
// every variant alike. Not part of `npm run bench`.
//
//   node bench/node-flags-ab.ts [--rounds 6] [--seconds 5] --variant "" --variant "--max-semi-space-size=64"
//
// Reported per variant: median req/s, median CPU µs per request of the process group, and the
// group's RSS after the last round.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BENCH_HOST } from './lib/context.ts';
import { ensureTools } from './lib/install.ts';
import { originRouteManifests } from './lib/manifests.ts';
import { freePorts, LOOPBACK } from './lib/net.ts';
import { CLOCK_TICKS_PER_SECOND, groupCpuTicks, groupRssMiB, installCleanup, stopAll } from './lib/processes.ts';
import { startOrigin, startSluice, Workspace, type SluiceServer } from './lib/servers.ts';
import { startWrk } from './lib/wrk.ts';

const { values: opts } = parseArgs({
  options: {
    rounds: { type: 'string', default: '6' },
    seconds: { type: 'string', default: '5' },
    variant: { type: 'string', multiple: true, default: [''] },
  },
});

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  installCleanup();
  const tools = await ensureTools((l) => console.log(l));
  const ws = new Workspace();
  try {
    const [originPort, altA, altB] = await freePorts(3);
    const origin = await startOrigin(ws, tools, { main: originPort!, altA: altA!, altB: altB! }, '0');
    const manifests = originRouteManifests(join(ws.dir, 'manifests'), origin.port, BENCH_HOST);
    const variants: { flags: string; sluice: SluiceServer; rps: number[]; cpu: number[] }[] = [];
    for (const flags of opts.variant!) {
      const [httpPort, adminPort] = await freePorts(2);
      const sluice = await startSluice({ name: `sluice ${flags || '(default)'}`, manifests: manifests.path, httpPort: httpPort!, adminPort: adminPort!, cpus: '1', workers: 1, nodeArgs: flags.split(' ').filter((x) => x !== '') });
      variants.push({ flags: flags || '(default)', sluice, rps: [], cpu: [] });
    }
    const seconds = Number(opts.seconds);
    // One warm-up run each.
    for (const v of variants) await startWrk({ wrk: tools.wrk, url: `http://${LOOPBACK}:${v.sluice.port}/`, connections: 64, durationS: 3, cpus: '0', host: BENCH_HOST }).done;
    for (let r = 0; r < Number(opts.rounds); r++) {
      for (const v of variants) {
        const ticks = groupCpuTicks(v.sluice.group.pid);
        const w = await startWrk({ wrk: tools.wrk, url: `http://${LOOPBACK}:${v.sluice.port}/`, connections: 64, durationS: seconds, cpus: '0', host: BENCH_HOST }).done;
        const cpuUs = ((groupCpuTicks(v.sluice.group.pid) - ticks) / CLOCK_TICKS_PER_SECOND) * 1e6;
        v.rps.push(w.rps);
        v.cpu.push(cpuUs / w.requests);
        console.log(`round ${r + 1} ${v.flags.padEnd(28)} ${Math.round(w.rps).toLocaleString('en-US').padStart(7)} req/s  ${(cpuUs / w.requests).toFixed(1)} µs/req`);
      }
    }
    console.log('\nvariant                       median req/s  median µs/req  group RSS MiB');
    for (const v of variants) console.log(`${v.flags.padEnd(28)} ${Math.round(median(v.rps)).toLocaleString('en-US').padStart(13)} ${median(v.cpu).toFixed(1).padStart(14)} ${groupRssMiB(v.sluice.group.pid).toFixed(1).padStart(14)}`);
  } finally {
    await stopAll();
    ws.remove();
  }
}

await main();
