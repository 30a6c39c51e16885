// Item 5: the control plane must not stall the data plane. A probe loop measures the small route
// bench.local/probe while the controller has heavy work:
//   - "10k-rule Ingress": one Ingress with N rules is applied, re-applied with an edit R times,
//     and removed (each a full translation of N routes and a table install);
//   - "50 MB manifest": a file of that size (Services) is dropped into the manifests directory
//     and removed; above the default --max-manifest-bytes (16 MiB) it is skipped unread;
//   - "15 MiB manifest": the largest kind of file the default admits, read and parsed.
// The probe loop (lib/probe.ts) is open and runs in its own thread: one request every
// PROBE_INTERVAL_MS whatever the answers, latency counted from the scheduled send. Files are
// written before Sluice starts and moved in by rename, so the bench itself does no heavy work
// while probing. Each scenario gets its own
// Sluice (one worker, the whole process group on the proxy CPU, as the other parts); its p99
// from the first change until RSS "after" is taken (the changes, then a settle time, so a GC that
// returns memory counts too) is compared with the p99 of a quiet window just before, and the RSS
// of the process group (controller + workers) is sampled before, throughout, and at the end.
// Goal: p99 within 50 ms of the quiet p99, RSS after within 20 % of before.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_HOST, type BenchContext } from './lib/context.ts';
import { INGRESS_CLASS, ingressYaml, ManifestDir, NAMESPACE, serviceYaml } from './lib/manifests.ts';
import { freePorts, HttpClient, pollUntil, sleep } from './lib/net.ts';
import { epochMs, startProbeLoop, summarize, type ProbeSummary } from './lib/probe.ts';
import { groupRssMiB } from './lib/processes.ts';
import { fmt, fmtInt, table } from './lib/report.ts';
import { startSluice, type SluiceServer } from './lib/servers.ts';
import { metricSum } from './lib/sluice-admin.ts';
import { round } from './lib/stats.ts';

const PROBE_INTERVAL_MS = 5;
/** Long enough that a stall shows as latency, not as a failed probe. */
const PROBE_TIMEOUT_MS = 60_000;
const APPLY_TIMEOUT_MS = 120_000;
const RSS_SAMPLE_MS = 100;
const WARMUP_MS = 2000;
/** Sluice's default --max-manifest-bytes. */
const DEFAULT_MAX_MANIFEST_MIB = 16;
const SERVICES = 10;
export const P99_GOAL_MS = 50;
export const RSS_GOAL_RATIO = 1.2;

export interface ControlPlaneRow {
  readonly scenario: string;
  readonly sluiceArgs: readonly string[];
  /** Probes of the quiet window before the first change. */
  readonly quiet: ProbeSummary;
  /** Probes scheduled from the first change until RSS "after" was taken. */
  readonly during: ProbeSummary;
  readonly p99DeltaMs: number;
  /** Each change: file in place → applied (table generation moved, or the file reported). */
  readonly applyMs: readonly number[];
  readonly rssBeforeMiB: number;
  readonly rssPeakMiB: number;
  readonly rssAfterMiB: number;
  readonly p99GoalMet: boolean;
  readonly rssGoalMet: boolean;
}

export interface ControlPlaneResult {
  readonly probeIntervalMs: number;
  readonly rules: number;
  readonly settleMs: number;
  readonly rows: ControlPlaneRow[];
}

/** Samples the process group's RSS; keeps the maximum. */
class RssSampler {
  peak = 0;
  private readonly pgid: number;
  private readonly timer: NodeJS.Timeout;

  constructor(pgid: number) {
    this.pgid = pgid;
    this.timer = setInterval(() => this.sample(), RSS_SAMPLE_MS);
  }

  sample(): number {
    const rss = groupRssMiB(this.pgid);
    this.peak = Math.max(this.peak, rss);
    return rss;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

const bigHost = (i: number) => `h${i}.cp.bench`;

/** One Ingress with `rules` rules; `edit` changes the first rule's path so each apply differs. */
function bigIngress(rules: number, edit: number): string {
  const lines = [`apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: big, namespace: ${NAMESPACE} }
spec:
  ingressClassName: sluice
  rules:`];
  for (let i = 0; i < rules; i++) {
    const path = i === 0 ? `/p0-edit${edit}` : `/p${i}`;
    lines.push(`    - host: ${bigHost(i)}\n      http: { paths: [{ path: ${path}, pathType: Prefix, backend: { service: { name: s${i % SERVICES}, port: { number: 80 } } } }] }`);
  }
  return lines.join('\n');
}

/** About `mib` MiB of Service documents (a careless dump of a cluster, say). */
function bulkManifest(mib: number): string {
  const docs: string[] = [];
  let size = 0;
  for (let i = 0; size < mib * 1024 * 1024; i++) {
    const doc = `apiVersion: v1
kind: Service
metadata:
  name: bulk-${i}
  namespace: bulk
  labels: { app: bulk-${i}, tier: backend, team: platform }
  annotations: { owner: "team-platform@example.com", note: "generated for the control-plane bench" }
spec:
  selector: { app: bulk-${i} }
  ports: [{ name: http, port: 80, targetPort: 8080 }, { name: metrics, port: 9100 }]
`;
    docs.push(doc);
    size += doc.length + 4;
  }
  return docs.join('---\n');
}

interface Scenario {
  readonly name: string;
  readonly sluiceArgs: readonly string[];
  /** Writes every file the changes move in, before Sluice starts (no big writes while probing). */
  stage(stageDir: string): void;
  /** The changes, in order; each resolves once Sluice has applied (or reported) it. */
  readonly changes: readonly ((s: ScenarioContext) => Promise<number>)[];
}

interface ScenarioContext {
  readonly dir: ManifestDir;
  readonly stageDir: string;
  readonly sluice: SluiceServer;
  readonly admin: HttpClient;
}

const generation = (s: ScenarioContext) => metricSum(s.admin, s.sluice.adminPort, 'sluice_table_generation');
const tooLargeReports = (s: ScenarioContext) => metricSum(s.admin, s.sluice.adminPort, 'sluice_provider_errors_total', { code: 'SLUICE_MANIFEST_TOO_LARGE' });

/** Runs `change`, then waits until the table generation moves (or `alsoDone` holds); returns ms. */
async function applied(s: ScenarioContext, change: () => void, alsoDone?: () => Promise<boolean>): Promise<number> {
  const before = await generation(s);
  const t0 = performance.now();
  change();
  const ms = await pollUntil(async () => (await generation(s)) > before || ((await alsoDone?.()) ?? false), APPLY_TIMEOUT_MS, 20);
  if (ms === undefined) throw new Error(`controlplane: change not applied within ${APPLY_TIMEOUT_MS} ms`);
  return performance.now() - t0;
}

function ingressScenario(rules: number, reapplies: number): Scenario {
  const edits = Array.from({ length: reapplies + 1 }, (_, edit) => edit);
  const changes: Scenario['changes'][number][] = edits.map((edit) => (s) => applied(s, () => s.dir.moveIn('big.yaml', join(s.stageDir, `big-${edit}.yaml`))));
  changes.push((s) => applied(s, () => s.dir.remove('big.yaml')));
  return {
    name: `${fmtInt(rules)}-rule Ingress: apply, re-apply ×${reapplies}, remove`,
    sluiceArgs: [],
    stage: (stageDir) => edits.forEach((edit) => writeFileSync(join(stageDir, `big-${edit}.yaml`), bigIngress(rules, edit))),
    changes,
  };
}

/** `skip`: a file above the limit (a smoke run's small file gets a lower limit for that). */
function manifestScenario(mib: number, skip: boolean): Scenario {
  const lowered = skip && mib <= DEFAULT_MAX_MANIFEST_MIB;
  const limitArgs = lowered ? ['--max-manifest-bytes', `${mib * 512}KiB`] : [];
  const label = lowered ? `--max-manifest-bytes ${mib / 2} MiB: skipped` : skip ? 'above the default --max-manifest-bytes: skipped' : 'under the default --max-manifest-bytes: parsed';
  let reportsBefore = 0;
  const drop = async (s: ScenarioContext) => {
    reportsBefore = await tooLargeReports(s);
    return applied(s, () => s.dir.moveIn('bulk.yaml', join(s.stageDir, 'bulk.yaml')), async () => (await tooLargeReports(s)) > reportsBefore);
  };
  // Skipped file: its removal changes nothing in the table; give the rescan time to see it.
  const remove = async (s: ScenarioContext) => {
    const skipped = (await tooLargeReports(s)) > reportsBefore;
    if (!skipped) return applied(s, () => s.dir.remove('bulk.yaml'));
    const t0 = performance.now();
    s.dir.remove('bulk.yaml');
    await sleep(500);
    return performance.now() - t0;
  };
  return {
    name: `${mib} MiB manifest dropped in, removed (${label})`,
    sluiceArgs: limitArgs,
    stage: (stageDir) => writeFileSync(join(stageDir, 'bulk.yaml'), bulkManifest(mib)),
    changes: [drop, remove],
  };
}

async function runScenario(ctx: BenchContext, scenario: Scenario, index: number): Promise<ControlPlaneRow> {
  const { settings, ws, origin } = ctx;
  const [httpPort, adminPort] = await freePorts(2);
  const dir = new ManifestDir(join(ws.dir, `controlplane-${index}`));
  const stageDir = join(ws.dir, `controlplane-${index}-staged`);
  mkdirSync(stageDir);
  scenario.stage(stageDir);
  dir.write('class.yaml', INGRESS_CLASS);
  const services = [serviceYaml('origin', [{ port: origin.port }])];
  for (let i = 0; i < SERVICES; i++) services.push(serviceYaml(`s${i}`, [{ port: origin.port }]));
  dir.write('services.yaml', services.join('\n---\n'));
  dir.write('probe.yaml', ingressYaml('probe', [{ host: BENCH_HOST, paths: [{ path: '/probe', pathType: 'Exact', service: 'origin' }] }]));
  const sluice = await startSluice({ manifests: dir.path, httpPort: httpPort!, adminPort: adminPort!, cpus: settings.proxyCpus, workers: 1, name: `sluice-controlplane-${index}`, extraArgs: scenario.sluiceArgs });
  const admin = new HttpClient();
  const s: ScenarioContext = { dir, stageDir, sluice, admin };
  const probes = startProbeLoop({ port: httpPort!, host: BENCH_HOST, path: '/probe', intervalMs: PROBE_INTERVAL_MS, timeoutMs: PROBE_TIMEOUT_MS });
  const rss = new RssSampler(sluice.group.pid);
  try {
    ctx.log(`controlplane: ${scenario.name}: ${settings.controlPlaneQuietS} s quiet`);
    await sleep(WARMUP_MS); // connections open, JIT warms up: not part of any window
    const quietFrom = epochMs();
    await sleep(settings.controlPlaneQuietS * 1000);
    const rssBefore = rss.sample();
    rss.peak = rssBefore;
    const changesFrom = epochMs();
    const applyMs: number[] = [];
    for (const change of scenario.changes) {
      applyMs.push(await change(s));
      await sleep(500);
    }
    await sleep(settings.controlPlaneSettleS * 1000);
    const rssAfter = rss.sample();
    const changesTo = epochMs();
    const samples = await probes.stop();
    const quiet = summarize(samples, quietFrom, changesFrom);
    const during = summarize(samples, changesFrom, changesTo);
    const row: ControlPlaneRow = {
      scenario: scenario.name,
      sluiceArgs: scenario.sluiceArgs,
      quiet,
      during,
      p99DeltaMs: round(during.p99Ms - quiet.p99Ms),
      applyMs: applyMs.map((x) => round(x, 0)),
      rssBeforeMiB: round(rssBefore, 1),
      rssPeakMiB: round(rss.peak, 1),
      rssAfterMiB: round(rssAfter, 1),
      p99GoalMet: during.p99Ms - quiet.p99Ms <= P99_GOAL_MS && during.errors === 0,
      rssGoalMet: rssAfter <= rssBefore * RSS_GOAL_RATIO,
    };
    ctx.log(`controlplane: ${scenario.name}: probe p99 ${fmt(quiet.p99Ms)} → ${fmt(during.p99Ms)} ms (max ${fmt(during.maxMs)}), applied in ${row.applyMs.join('/')} ms, RSS ${fmt(row.rssBeforeMiB, 0)} → peak ${fmt(row.rssPeakMiB, 0)} → ${fmt(row.rssAfterMiB, 0)} MiB`);
    return row;
  } finally {
    rss.stop();
    await probes.stop();
    admin.close();
    await sluice.group.stop();
    rmSync(stageDir, { recursive: true, force: true });
  }
}

export async function runControlPlane(ctx: BenchContext): Promise<ControlPlaneResult> {
  const { settings } = ctx;
  const scenarios = [
    ingressScenario(settings.controlPlaneRules, settings.controlPlaneReapplies),
    manifestScenario(settings.controlPlaneLargeFileMiB, true),
    manifestScenario(settings.controlPlaneAdmittedFileMiB, false),
  ];
  const rows: ControlPlaneRow[] = [];
  for (const [i, scenario] of scenarios.entries()) rows.push(await runScenario(ctx, scenario, i));
  return { probeIntervalMs: PROBE_INTERVAL_MS, rules: settings.controlPlaneRules, settleMs: settings.controlPlaneSettleS * 1000, rows };
}

export function controlPlaneMarkdown(r: ControlPlaneResult): string {
  const yes = (ok: boolean) => (ok ? 'yes' : '**no**');
  return [
    '## Control plane beside the data plane',
    '',
    `An open probe loop (one request every ${r.probeIntervalMs} ms to bench.local/probe, latency from the scheduled send) while the controller works; one Sluice per scenario (one worker, process group on the proxy CPU). ` +
      `"quiet" = the window just before the first change; "during" = first change written → ${r.settleMs / 1000} s after the last one was applied, when RSS "after" is taken. RSS = the whole process group (controller + workers). ` +
      `Goal: p99 during ≤ quiet p99 + ${P99_GOAL_MS} ms, RSS after ≤ ${RSS_GOAL_RATIO} × before.`,
    '',
    table(
      ['scenario', 'probe p99 quiet ms', 'p99 during ms', 'max during ms', 'p50 during ms', 'probe errors', 'applied in ms', 'RSS before MiB', 'peak MiB', 'after MiB', 'p99 goal', 'RSS goal'],
      ['l', 'r', 'r', 'r', 'r', 'r', 'l', 'r', 'r', 'r', 'l', 'l'],
      r.rows.map((x) => [x.scenario, fmt(x.quiet.p99Ms), fmt(x.during.p99Ms), fmt(x.during.maxMs), fmt(x.during.p50Ms), String(x.during.errors + x.quiet.errors), x.applyMs.map((m) => fmtInt(m)).join(' / '), fmt(x.rssBeforeMiB, 0), fmt(x.rssPeakMiB, 0), fmt(x.rssAfterMiB, 0), yes(x.p99GoalMet), yes(x.rssGoalMet)]),
    ),
  ].join('\n');
}
