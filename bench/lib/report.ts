// The Markdown report: one table per part, with the conditions (mode, load average, versions)
// needed to judge the numbers.
import type { FailureRow, SlowResult, Variant } from '../lb.ts';
import type { FixedRateRow, ProxyRow } from '../proxies.ts';

export function fmtInt(x: number): string {
  return Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '—';
}

export function fmt(x: number, digits = 2): string {
  return Number.isFinite(x) ? x.toFixed(digits) : '—';
}

export function table(header: readonly string[], align: readonly ('l' | 'r')[], rows: readonly (readonly string[])[]): string {
  const sep = align.map((a) => (a === 'r' ? '---:' : '---'));
  return [header, sep, ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}

export function proxiesTable(rows: readonly ProxyRow[]): string {
  return table(
    ['proxy', 'body', 'req/s', 'vs nginx', 'req/s CV %', 'p50 ms', 'p99 ms', 'CPU µs/req', 'of it kernel µs', 'RSS MiB', 'upstream conns', 'errors', 'core0/core1 busy %', 'wrk + rest CPU %'],
    ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    rows.map((r) => [
      r.label === r.proxy ? r.proxy : `${r.label} (cpus ${r.cpus})`,
      r.body,
      fmtInt(r.rps),
      fmt(r.ratio_vs_nginx),
      fmt(r.rps_cv_pct, 1),
      fmt(r.p50_ms),
      fmt(r.p99_ms),
      fmt(r.cpu_us_per_req, 1),
      fmt(r.cpu_sys_us_per_req, 1),
      fmt(r.rss_mib, 1),
      r.proxy === 'origin' ? `${r.upstream_conns} (wrk's own)` : String(r.upstream_conns),
      String(r.non2xx + r.socket_errors),
      `${r.core0_busy_pct} / ${r.core1_busy_pct}`,
      String(r.rest_cpu_pct),
    ]),
  );
}

export function fixedRateTable(rows: readonly FixedRateRow[]): string {
  return table(
    ['proxy', 'offered req/s', 'achieved req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'p99.9 ms', 'max ms', 'p99 vs nginx', 'p99 vs nginx by round', 'median p99 ÷ nginx\'s', 'p99.9 vs nginx', 'CPU µs/req', 'RSS MiB', 'failed'],
    ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l', 'r', 'r', 'r', 'r', 'r'],
    rows.map((r) => [r.label, fmtInt(r.rate), fmtInt(r.achieved_rps), fmt(r.p50_ms), fmt(r.p90_ms), fmt(r.p99_ms), fmt(r.p999_ms), fmt(r.max_ms), fmt(r.p99_vs_nginx), r.p99_vs_nginx_by_round.map((x) => fmt(x)).join(' / '), fmt(r.p99_medians_vs_nginx), fmt(r.p999_vs_nginx), fmt(r.cpu_us_per_req, 1), fmt(r.rss_mib, 1), String(r.failed)]),
  );
}

// ---- lb (bench/lb.ts) ----

const VARIANT_LABEL: Record<Variant, string> = { nginx: 'nginx', haproxy: 'HAProxy', 'sluice-defaults': 'Sluice (defaults, no policy)', 'sluice-policy': 'Sluice (BackendTrafficPolicy)' };

function pct(part: number, whole: number, digits = 1): string {
  return whole > 0 ? `${((100 * part) / whole).toFixed(digits)} %` : '—';
}

function goalMark(ok: boolean): string {
  return ok ? ' ✓' : ' ✗';
}

export function lbSlowTable(r: SlowResult): string {
  return table(
    ['proxy', 'algorithm', 'req/s', 'p50 ms', 'p99 ms', 'p99 vs nginx least_conn', 'req/s vs nginx least_conn', 'to the slow endpoint', 'proxy CPU µs/req', 'origin CPU %', 'errors'],
    ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    r.rows.map((x) =>
      x.unsupported
        ? [x.proxy, x.algorithm, `**${x.unsupported}**`, '—', '—', '—', '—', '—', '—', '—', '—']
        : [x.proxy, x.algorithm, fmtInt(x.rps), fmt(x.p50_ms), fmt(x.p99_ms), fmt(x.p99_vs_nginx_lc), fmt(x.rps_vs_nginx_lc), `${fmt(x.slow_share_pct, 1)} %`, fmt(x.proxy_cpu_us_per_req, 1), String(x.origin_cpu_pct), String(x.errors)],
    ),
  );
}

export function lbSlowGoals(r: SlowResult): string {
  if (!Number.isFinite(r.goal.lrVsNginxLc)) return 'Goals (Sluice LeastRequest p99 ≤ 1.2 × nginx least_conn p99, and well below Sluice RoundRobin p99): **not measurable, LeastRequest not supported by this build**.';
  return `Goals: Sluice LeastRequest (choiceCount 2) p99 ÷ nginx least_conn p99 = **${fmt(r.goal.lrVsNginxLc)}** (goal ≤ 1.2${goalMark(r.goal.lrVsNginxLc <= 1.2)}); ÷ Sluice RoundRobin p99 = **${fmt(r.goal.lrVsSluiceRr)}** (goal: well below 1, marked ✓ at ≤ 0.5${goalMark(r.goal.lrVsSluiceRr <= 0.5)}).`;
}

function unsupportedCells(x: FailureRow, n: number): string[] {
  return [`**${x.unsupported}**`, ...Array.from({ length: n - 1 }, () => '—')];
}

export function lbKillTable(rows: readonly FailureRow[]): string {
  return table(
    ['proxy', 'req/s before', 'req/s after the kill', 'p99 ms after', 'failed before', 'failed GETs after the kill (goal 0)'],
    ['l', 'r', 'r', 'r', 'r', 'r'],
    rows.map((x) => [
      VARIANT_LABEL[x.variant],
      ...(x.unsupported ? unsupportedCells(x, 5) : [fmtInt(x.before!.rps), fmtInt(x.during!.rps), fmt(x.during!.p99Ms), String(x.before!.failed), `**${x.during!.failed}** of ${fmtInt(x.during!.sent)}${goalMark(x.during!.failed === 0)}`]),
    ]),
  );
}

export function lbHangTable(rows: readonly FailureRow[], goalS: number): string {
  return table(
    ['proxy', `no request sent to it after (goal ≤ ${goalS} s)`, 'requests it got after the hang', 'failed after the hang', 'p99 ms after', 'req/s before → after', 'health probes it got'],
    ['l', 'r', 'r', 'r', 'r', 'r', 'r'],
    rows.map((x) => [
      VARIANT_LABEL[x.variant],
      ...(x.unsupported
        ? unsupportedCells(x, 6)
        : [
            x.offAfterS !== undefined ? `**${fmt(x.offAfterS)} s**${goalMark(x.offAfterS <= goalS)}` : `**still receiving at the end**${goalMark(false)}`,
            fmtInt(x.reachedFaulty!),
            `${x.during!.failed} of ${fmtInt(x.during!.sent)} (${pct(x.during!.failed, x.during!.sent)})`,
            fmt(x.during!.p99Ms),
            `${fmtInt(x.before!.rps)} → ${fmtInt(x.during!.rps)}`,
            x.variant === 'nginx' || x.variant === 'sluice-defaults' ? '— (no active checks)' : String(x.healthProbes),
          ]),
    ]),
  );
}

export function lbErrorsTable(rows: readonly FailureRow[]): string {
  return table(
    ['proxy', 'ejected after', 'requests it got after the fault', '… after the ejection', 'client 5xx after the fault', 'client 5xx after the ejection (goal ≤ 1 %)', 'p99 ms after', 'req/s after'],
    ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    rows.map((x) => {
      if (x.unsupported) return [VARIANT_LABEL[x.variant], ...unsupportedCells(x, 7)];
      const after = x.afterEjection!;
      const share = after.sent > 0 ? (100 * after.status5xx) / after.sent : NaN;
      return [
        VARIANT_LABEL[x.variant],
        x.ejectedAfterS !== undefined ? `${fmt(x.ejectedAfterS)} s` : 'never',
        fmtInt(x.reachedFaulty!),
        fmtInt(x.reachedAfterEjection!),
        `${fmtInt(x.during!.status5xx)} of ${fmtInt(x.during!.sent)} (${pct(x.during!.status5xx, x.during!.sent, 2)})`,
        `**${pct(after.status5xx, after.sent, 2)}**${x.ejectedAfterS === undefined ? ' (never ejected: whole window)' : ''}${goalMark(share <= 1)}`,
        fmt(x.during!.p99Ms),
        fmtInt(x.during!.rps),
      ];
    }),
  );
}
