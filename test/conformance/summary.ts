// Prints what a conformance run gave, from the suite's report (ConformanceReport YAML) and, for
// per-test results, its `go test -v` log:
//
//   node test/conformance/summary.ts REPORT.yaml|- [conformance.log]
//   node test/conformance/summary.ts --readme [REPORT.yaml]   rewrite the README's result line
//
// Numbers are read, never typed: the README line (between <!-- conformance:begin --> and
// <!-- conformance:end -->) is generated from the report (default: the one of package.json's
// version), and test/unit/conformance-readme.test.ts fails when it does not match.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse } from 'yaml';

export const BEGIN = '<!-- conformance:begin -->';
export const END = '<!-- conformance:end -->';

export function defaultReportPath(repo: string): string {
  const version = (JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string }).version;
  return join(repo, 'conformance', 'reports', `sluice-${version}-gateway-http.yaml`);
}

/** README text with the line between the markers replaced. */
export function withLine(readme: string, line: string): string {
  const start = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  if (start === -1 || end < start) throw new Error(`README.md has no ${BEGIN} … ${END} block`);
  return `${readme.slice(0, start + BEGIN.length)}\n${line}\n${readme.slice(end)}`;
}

interface Stats { Passed?: number; Failed?: number; Skipped?: number }
interface Status { result?: string; statistics?: Stats; failedTests?: string[]; skippedTests?: string[] }
interface Extended extends Status { supportedFeatures?: string[]; unsupportedFeatures?: string[] }
export interface Report {
  gatewayAPIVersion?: string;
  gatewayAPIChannel?: string;
  date?: string;
  implementation?: { version?: string };
  profiles?: { name: string; core: Status; extended?: Extended }[];
}

export function readReport(file: string): Report {
  return parse(readFileSync(file, 'utf8')) as Report;
}

function counts(s: Status | undefined): string {
  const st = s?.statistics ?? {};
  return `${st.Passed ?? 0} passed, ${st.Failed ?? 0} failed, ${st.Skipped ?? 0} skipped (${s?.result ?? 'no result'})`;
}

/** "GATEWAY-HTTP core 37/37, extended 20/38 features declared, their tests 23/23 passed" for the README. */
export function readmeLine(report: Report, reportPath: string): string {
  const parts = (report.profiles ?? []).map((p) => {
    const c = p.core.statistics ?? {};
    const coreTotal = (c.Passed ?? 0) + (c.Failed ?? 0);
    const ext = p.extended;
    const e = ext?.statistics ?? {};
    const declared = ext?.supportedFeatures?.length ?? 0;
    const all = declared + (ext?.unsupportedFeatures?.length ?? 0);
    const extText = ext ? `, extended ${declared}/${all} features declared, their tests ${e.Passed ?? 0}/${(e.Passed ?? 0) + (e.Failed ?? 0)} passed` : '';
    return `${p.name} core ${c.Passed ?? 0}/${coreTotal}${extText}`;
  });
  return `Gateway API conformance: ${report.gatewayAPIVersion ?? '?'} (${report.gatewayAPIChannel ?? '?'} channel), ${parts.join('; ')} (report: [${reportPath}](${reportPath}))`;
}

function perTest(log: string): { passed: string[]; failed: string[]; skipped: string[] } {
  const out = { passed: [] as string[], failed: [] as string[], skipped: [] as string[] };
  // Results of the suite's subtests: "--- PASS: TestConformance/HTTPRouteWeight (3.21s)".
  for (const m of log.matchAll(/^\s*--- (PASS|FAIL|SKIP): TestConformance\/([A-Za-z0-9]+) /gm)) {
    (m[1] === 'PASS' ? out.passed : m[1] === 'FAIL' ? out.failed : out.skipped).push(m[2]!);
  }
  return out;
}

function main(args: string[]): number {
  if (args[0] === '--readme') {
    const repo = join(import.meta.dirname, '..', '..');
    const report = args[1] ?? defaultReportPath(repo);
    const file = join(repo, 'README.md');
    writeFileSync(file, withLine(readFileSync(file, 'utf8'), readmeLine(readReport(report), relative(repo, report))));
    process.stdout.write(`conformance: README line updated from ${relative(repo, report)}\n`);
    return 0;
  }
  const [file, logFile] = args;
  if (logFile) {
    const t = perTest(readFileSync(logFile, 'utf8'));
    if (t.failed.length > 0) process.stdout.write(`conformance: failed tests: ${t.failed.join(', ')}\n`);
    process.stdout.write(`conformance: tests run: ${t.passed.length} passed, ${t.failed.length} failed, ${t.skipped.length} skipped\n`);
  }
  if (file && file !== '-') {
    const report = readReport(file);
    for (const p of report.profiles ?? []) {
      process.stdout.write(`conformance: ${p.name} core: ${counts(p.core)}\n`);
      if (p.core.failedTests?.length) process.stdout.write(`  core failed: ${p.core.failedTests.join(', ')}\n`);
      if (p.extended) {
        process.stdout.write(`conformance: ${p.name} extended: ${counts(p.extended)}; ${p.extended.supportedFeatures?.length ?? 0} features declared\n`);
        if (p.extended.failedTests?.length) process.stdout.write(`  extended failed: ${p.extended.failedTests.join(', ')}\n`);
      }
    }
    process.stdout.write(`conformance: report ${file}\n`);
  }
  return 0;
}

const script = process.argv[1];
if (script !== undefined && script.endsWith('summary.ts')) process.exitCode = main(process.argv.slice(2));
