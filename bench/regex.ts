// Regex engines for route matches, per call on short strings: V8's backtracking RegExp (what
// Sluice used before), V8's linear-time engine (the 'l' flag), Sluice's matcher (the 'l' engine
// behind a literal-prefix check, src/util/linear-regex.ts), and, when they can be loaded,
// re2-wasm and the native re2 addon. Patterns are anchored the way the router anchors them.
//
//   node_modules/.bin/node bench/regex.ts [--quick]
//   RE2_MODULES=/some/dir/node_modules node_modules/.bin/node bench/regex.ts
//
// re2-wasm and re2 are not project dependencies: install them into a scratch directory and
// point RE2_MODULES at its node_modules (the native addon must be built against this Node's
// headers). Numbers are ns per test() call, the median of several rounds.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { compileWholeMatch } from '../src/util/linear-regex.ts';
import { median, round } from './lib/stats.ts';

setFlagsFromString('--enable-experimental-regexp-engine');

function sluiceMatcher(source: string): Matcher {
  const c = compileWholeMatch(source);
  if (!c.ok) throw new Error(c.reason);
  return c.matcher;
}

interface Matcher {
  test(input: string): boolean;
}

interface Engine {
  readonly name: string;
  compile(source: string): Matcher;
}

interface Case {
  readonly name: string;
  readonly pattern: string;
  readonly input: string;
  /** Skip the backtracking engine: it would not finish. */
  readonly evil?: boolean;
}

const CASES: readonly Case[] = [
  { name: 'path hit', pattern: '/api/v[0-9]+/.*', input: '/api/v2/users/42/orders' },
  { name: 'path miss', pattern: '/api/v[0-9]+/.*', input: '/static/js/app.3f9a1c.js' },
  { name: 'header hit', pattern: 'admin-[a-z0-9]+', input: 'admin-7f3a9c' },
  {
    name: 'user-agent',
    pattern: '.*(Chrome|Firefox)/[0-9]+.*',
    input: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
  },
  { name: '/(a+)+$ on 20 a + !', pattern: '/(a+)+$', input: `/${'a'.repeat(20)}!` },
  { name: '/(a+)+$ on 40 a + !', pattern: '/(a+)+$', input: `/${'a'.repeat(40)}!`, evil: true },
  // The most an attacker can make one test cost: a value near Node's 16 KiB header limit.
  { name: 'user-agent, 8 KiB miss', pattern: '.*(Chrome|Firefox)/[0-9]+.*', input: 'x'.repeat(8192) },
  { name: '/(a+)+$ on 8 KiB a + !', pattern: '/(a+)+$', input: `/${'a'.repeat(8192)}!`, evil: true },
];

const anchored = (source: string) => `^(?:${source})$`;

function optionalEngines(): Engine[] {
  const dir = process.env.RE2_MODULES;
  const require = createRequire(dir ? join(dir, 'noop.js') : import.meta.url);
  const engines: Engine[] = [];
  try {
    const { RE2 } = require('re2-wasm') as { RE2: new (s: string, f: string) => Matcher };
    engines.push({ name: 're2-wasm', compile: (s) => new RE2(anchored(s), 'u') });
  } catch (e) {
    console.log(`re2-wasm: not loaded (${(e as Error).message.split('\n')[0]})`);
  }
  try {
    const RE2 = require('re2') as new (s: string) => Matcher;
    engines.push({ name: 're2 (native)', compile: (s) => new RE2(anchored(s)) });
  } catch (e) {
    console.log(`re2 (native): not loaded (${(e as Error).message.split('\n')[0]})`);
  }
  return engines;
}

const ENGINES: readonly Engine[] = [
  { name: 'RegExp (backtracking)', compile: (s) => new RegExp(anchored(s)) },
  { name: "RegExp 'l' (linear)", compile: (s) => new RegExp(anchored(s), 'l') },
  { name: 'Sluice matcher', compile: sluiceMatcher },
  ...optionalEngines(),
];

let sink = 0;

function nsPerCall(m: Matcher, input: string, calls: number): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) if (m.test(input)) sink++;
  return Number(process.hrtime.bigint() - start) / calls;
}

function measure(m: Matcher, input: string, quick: boolean): number {
  // Calibrate to about 50 ms per round so slow cases stay bounded.
  const probe = nsPerCall(m, input, 200);
  const calls = Math.max(200, Math.min(500_000, Math.round(50e6 / Math.max(probe, 1))));
  nsPerCall(m, input, calls); // warm-up
  const rounds = quick ? 3 : 7;
  return median(Array.from({ length: rounds }, () => nsPerCall(m, input, calls)));
}

function main(): void {
  const quick = process.argv.includes('--quick');
  console.log(`node ${process.version}, ns per test() call (median of ${quick ? 3 : 7} rounds)\n`);
  const header = ['case', ...ENGINES.map((e) => e.name)];
  const rows: string[][] = [];
  for (const c of CASES) {
    const row = [c.name];
    const answers = new Set<boolean>();
    for (const engine of ENGINES) {
      if (c.evil && engine.name.startsWith('RegExp (backtracking)')) {
        row.push('hours');
        continue;
      }
      const m = engine.compile(c.pattern);
      answers.add(m.test(c.input));
      row.push(String(round(measure(m, c.input, quick), 0)));
    }
    if (answers.size > 1) throw new Error(`engines disagree on ${c.name}`);
    rows.push(row);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => `| ${cells.map((x, i) => x.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
  if (sink < 0) console.log(sink);
}

main();
