// The Markdown report: one table per part, with the conditions (mode, load average, versions)
// needed to judge the numbers.
import type { ProxyRow } from '../proxies.ts';

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
    ['proxy', 'body', 'req/s', 'vs nginx', 'p50 ms', 'p99 ms', 'CPU µs/req', 'RSS MiB', 'upstream conns', 'errors', 'core0/core1 busy %'],
    ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    rows.map((r) => [
      r.label === r.proxy ? r.proxy : `${r.label} (cpus ${r.cpus})`,
      r.body,
      fmtInt(r.rps),
      fmt(r.ratio_vs_nginx),
      fmt(r.p50_ms),
      fmt(r.p99_ms),
      fmt(r.cpu_us_per_req, 1),
      fmt(r.rss_mib, 1),
      r.proxy === 'origin' ? `${r.upstream_conns} (wrk's own)` : String(r.upstream_conns),
      String(r.non2xx + r.socket_errors),
      `${r.core0_busy_pct} / ${r.core1_busy_pct}`,
    ]),
  );
}
