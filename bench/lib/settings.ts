// Run modes. full: the comparable numbers (3 interleaved rounds × 10 s, as the baseline).
// quick: two 3 s rounds of the proxies (one of the rest), about 5 minutes. smoke: proves the harness end to end in
// about a minute (CI); its numbers mean nothing.
import type { WriteMode } from './manifests.ts';

export type Mode = 'full' | 'quick' | 'smoke';

export interface Settings {
  readonly mode: Mode;
  /** CPU of the proxy under test; wrk, the origin and this process use LOAD_CPUS. */
  readonly proxyCpus: string;
  readonly loadCpus: string;
  readonly connections: number;
  readonly warmupS: number;
  /**
   * Warm-up runs (of warmupS each) a proxy gets at most before its rounds: they repeat until two
   * runs in a row agree within SETTLE_PCT (a cold Node proxy's JIT, pools and heap settle).
   */
  readonly warmupMaxRuns: number;
  /**
   * The first warm-up of each proxy (its process's first load) lasts at least this long, in runs
   * of warmupS: a fresh Node process re-optimizes its hot functions in bursts during its first
   * ≈ 40 s of traffic and the first client aborts (bench/README.md, "A stall at the start of a
   * round"), which req/s settling does not show.
   */
  readonly warmupMinS: number;
  /** Fixed-rate phase: seconds per proxy and round at FIXED_RATE_SHARE of Sluice's capacity. */
  readonly fixedRateS: number;
  /**
   * Fixed-rate rounds (interleaved): more than the saturation rounds, since a tail moves more
   * between rounds than req/s does (nginx's own fixed-rate p99 spans 0.9-3.9 ms in four rounds
   * on this machine, bench/README.md "Where the fixed-rate tail is spent").
   */
  readonly fixedRateRounds: number;
  /** Memory part: seconds of load at the fixed rate while RSS is sampled (--soak S; the issue asks 600). */
  readonly soakS: number;
  readonly rounds: number;
  readonly durationS: number;
  readonly swaps: number;
  readonly churnRounds: number;
  /** How long each rolling-update step holds before the next (endpoints settle under load). */
  readonly churnDwellMs: number;
  readonly scaleSizes: readonly number[];
  readonly scaleDurationS: number;
  /** Connections of the scale latency run: moderate load, not saturation. */
  readonly scaleConnections: number;
  readonly translateIterations: number;
  /** Control plane: probe-only window before each change (the p99 to compare with). */
  readonly controlPlaneQuietS: number;
  /** Rules of the big Ingress, and how often it is re-applied after the first apply. */
  readonly controlPlaneRules: number;
  readonly controlPlaneReapplies: number;
  /** Manifest files dropped into the manifests directory: one above the default cap, one under it. */
  readonly controlPlaneLargeFileMiB: number;
  readonly controlPlaneAdmittedFileMiB: number;
  /** After the last change: time for memory to come back before RSS "after" is read. */
  readonly controlPlaneSettleS: number;
  /** lb part: warm-up per proxy, rounds and length of each slow-endpoint run (interleaved). */
  readonly lbWarmupS: number;
  readonly lbRounds: number;
  readonly lbDurationS: number;
  /** lb failure scenarios: steady load before the fault, then how long each fault is watched. */
  readonly lbBeforeFaultS: number;
  readonly lbFaultS: { readonly kill: number; readonly hang: number; readonly errors: number };
  /** Extra Sluice rows with N workers on both CPUs (1 → N scaling; wrk competes for CPU 0). */
  readonly extraWorkers: readonly number[];
  /** How swap and churn edits reach the manifest files (see lib/manifests.ts). */
  readonly writeMode: WriteMode;
  /** Which parts to run. */
  readonly parts: ReadonlySet<Part>;
}

export type Part = 'proxies' | 'memory' | 'swap' | 'churn' | 'scale' | 'controlplane' | 'lb' | 'accesslog' | 'features' | 'ratelimit' | 'h2' | 'tls' | 'tcp' | 'stampede' | 'compression' | 'requestbody';
export const ALL_PARTS: readonly Part[] = ['proxies', 'memory', 'swap', 'churn', 'scale', 'controlplane', 'lb', 'accesslog', 'features', 'ratelimit', 'h2', 'tls', 'tcp', 'stampede', 'compression', 'requestbody'];

/** Two warm-up runs whose req/s differ by at most this much (percent) end the warm-up. */
export const SETTLE_PCT = 5;
/** The fixed-rate phase offers this share of Sluice's measured capacity (small body) to every proxy. */
export const FIXED_RATE_SHARE = 0.4;

const BASE = { proxyCpus: '1', loadCpus: '0', connections: 64, scaleConnections: 8 } as const;

const MODES: Record<Mode, Omit<Settings, 'parts' | 'extraWorkers' | 'writeMode' | 'soakS' | keyof typeof BASE>> = {
  full: { mode: 'full', warmupS: 3, warmupMaxRuns: 6, warmupMinS: 45, fixedRateS: 10, fixedRateRounds: 5, rounds: 3, durationS: 10, swaps: 100, churnRounds: 4, churnDwellMs: 1000, scaleSizes: [10, 1000, 10_000], scaleDurationS: 10, translateIterations: 5, controlPlaneQuietS: 10, controlPlaneRules: 10_000, controlPlaneReapplies: 5, controlPlaneLargeFileMiB: 50, controlPlaneAdmittedFileMiB: 15, controlPlaneSettleS: 8, lbWarmupS: 3, lbRounds: 3, lbDurationS: 8, lbBeforeFaultS: 3, lbFaultS: { kill: 8, hang: 12, errors: 10 } },
  quick: { mode: 'quick', warmupS: 3, warmupMaxRuns: 4, warmupMinS: 15, fixedRateS: 5, fixedRateRounds: 2, rounds: 2, durationS: 3, swaps: 100, churnRounds: 2, churnDwellMs: 400, scaleSizes: [10, 1000, 10_000], scaleDurationS: 3, translateIterations: 3, controlPlaneQuietS: 5, controlPlaneRules: 10_000, controlPlaneReapplies: 3, controlPlaneLargeFileMiB: 50, controlPlaneAdmittedFileMiB: 15, controlPlaneSettleS: 8, lbWarmupS: 2, lbRounds: 1, lbDurationS: 5, lbBeforeFaultS: 2, lbFaultS: { kill: 3, hang: 8, errors: 4 } },
  smoke: { mode: 'smoke', warmupS: 0, warmupMaxRuns: 0, warmupMinS: 0, fixedRateS: 1, fixedRateRounds: 1, rounds: 1, durationS: 1, swaps: 5, churnRounds: 1, churnDwellMs: 200, scaleSizes: [10, 1000], scaleDurationS: 1, translateIterations: 1, controlPlaneQuietS: 1, controlPlaneRules: 1000, controlPlaneReapplies: 1, controlPlaneLargeFileMiB: 2, controlPlaneAdmittedFileMiB: 1, controlPlaneSettleS: 2, lbWarmupS: 0, lbRounds: 1, lbDurationS: 1, lbBeforeFaultS: 1, lbFaultS: { kill: 2, hang: 6, errors: 2 } },
};

/** Memory part's default load time per mode; --soak overrides it. */
const SOAK_S: Record<Mode, number> = { full: 60, quick: 30, smoke: 2 };

export const USAGE = `usage: npm run bench -- [--quick | --smoke] [--only proxies,memory,swap,churn,scale,controlplane,lb,accesslog,features,ratelimit,h2,tls,tcp,stampede,compression,requestbody] [--workers 2] [--soak S]
  (default)   full run: 3 interleaved rounds x 10 s per proxy and body, 100 swaps, churn, scale, control plane
  --quick     warm-up until settled, 2 rounds x 3 s, shorter churn; about 8 minutes
  --smoke     proves the harness works end to end in about a minute (CI); numbers are not comparable
  --only      run only these parts
  --in-place-writes  swap/churn edits rewrite files in place instead of replacing them by rename
  --workers N also measure Sluice with N data-plane workers and nginx with N worker processes on both CPUs (comma list allowed)
  --soak S    memory part: S seconds of fixed-rate load while RSS is sampled (default 60 full, 30 quick; the issue asks for 600)`;

export function parseSettings(argv: readonly string[]): Settings {
  let mode: Mode = 'full';
  let parts = new Set<Part>(ALL_PARTS);
  let extraWorkers: number[] = [];
  let writeMode: WriteMode = 'rename';
  let soakS: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--quick') mode = 'quick';
    else if (a === '--smoke') mode = 'smoke';
    else if (a === '--full') mode = 'full';
    else if (a === '--only') {
      const list = (argv[++i] ?? '').split(',').filter(Boolean);
      for (const p of list) if (!ALL_PARTS.includes(p as Part)) throw new Error(`unknown part "${p}"\n${USAGE}`);
      parts = new Set(list as Part[]);
    } else if (a === '--workers') {
      extraWorkers = (argv[++i] ?? '').split(',').map(Number).filter((n) => Number.isInteger(n) && n > 1);
    } else if (a === '--soak') {
      soakS = Number(argv[++i]);
      if (!Number.isInteger(soakS) || soakS < 1 || soakS > 3600) throw new Error(`--soak wants whole seconds in 1..3600\n${USAGE}`);
    } else if (a === '--in-place-writes') {
      writeMode = 'in-place';
    } else if (a === '--help' || a === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown argument "${a}"\n${USAGE}`);
  }
  return { ...BASE, ...MODES[mode], parts, extraWorkers, writeMode, soakS: soakS ?? SOAK_S[mode] };
}
