// The live stats page in a real browser: headless Chromium (the Debian package) loads
// /dashboard from a running Sluice with traffic, an endpoint that refuses connections (passive
// health ejects it) and one failing its active health checks; the page's script polls
// /debug/stats and renders it, and the test asserts on the DOM Chromium serializes after the
// script ran (not on the HTML source, which holds no data at all), and saves a screenshot under
// test-results/. /debug/stats itself is checked as JSON (the loopback gate: admin.test.ts).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type Backend, eventually, freePort, get, ingressYaml, INGRESS_CLASS_YAML, ManifestDir, ROOT, serviceYaml, type Sluice, startBackends, startSluice, stopBackends } from './support/harness.js';

const CHROMIUM = process.env['SLUICE_CHROMIUM'] ?? '/usr/bin/chromium';
const OUTPUT = join(ROOT, 'test-results', 'dashboard');
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`SKIPPED dashboard browser tests: no ${CHROMIUM} (apt-get install chromium, or set SLUICE_CHROMIUM)`);
const withChromium = haveChromium ? describe : describe.skip;
const run = promisify(execFile);

const NS = 'dash';
let dir: ManifestDir;
let backends: Backend[];
let sluice: Sluice;
let deadPort: number;
let profile: string;

/** Chromium, headless, on a page: its DOM after `budgetMs` of (virtual) time, or a screenshot. */
async function chromium(url: string, mode: { dom: true } | { screenshot: string }, budgetMs = 6000): Promise<string> {
  const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', `--user-data-dir=${profile}`, `--virtual-time-budget=${budgetMs}`, '--window-size=1400,1100'];
  args.push('dom' in mode ? '--dump-dom' : `--screenshot=${mode.screenshot}`, url);
  const { stdout } = await run(CHROMIUM, args, { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

/** The serialized <tr> elements carrying `attr="value"`. */
function rows(dom: string, attr: string, value: string): string[] {
  return [...dom.matchAll(/<tr\b[^>]*>[\s\S]*?<\/tr>/g)].map((m) => m[0]).filter((tr) => tr.slice(0, tr.indexOf('>')).includes(`${attr}="${value}"`));
}

/** The text of the <td> with this class in a serialized row. */
function cell(row: string, cls: string): string | undefined {
  return new RegExp(`<td class="[^"]*\\b${cls}\\b[^"]*"[^>]*>([^<]*)</td>`).exec(row)?.[1];
}

beforeAll(async () => {
  profile = mkdtempSync(join(tmpdir(), 'sluice-chromium-'));
  dir = new ManifestDir();
  backends = await startBackends(['shop-0', 'api-0', 'api-1']);
  deadPort = await freePort();
  const [shop, api0, api1] = backends as [Backend, Backend, Backend];
  await get(api1.port, 'fault', '/_fault/health/down');
  dir.write('all.yaml', [
    INGRESS_CLASS_YAML,
    serviceYaml(NS, 'shop', [{ port: shop.port }, { port: deadPort }]),
    ingressYaml(NS, 'shop', 'shop.dash.test', [{ path: '/', service: 'shop' }]),
    serviceYaml(NS, 'api', [{ port: api0.port }, { port: api1.port }]),
    ingressYaml(NS, 'api', 'api.dash.test', [{ path: '/', service: 'api' }]),
    `apiVersion: sluice.dev/v1alpha1
kind: BackendTrafficPolicy
metadata: { name: api, namespace: ${NS} }
spec:
  targetRefs: [{ group: "", kind: Service, name: api }]
  healthCheck:
    active: { type: HTTP, http: { path: /health }, interval: 300ms, timeout: 200ms, healthyThreshold: 1, unhealthyThreshold: 1 }`,
    // The refused endpoint stays ejected for the whole test.
    `apiVersion: sluice.dev/v1alpha1
kind: BackendTrafficPolicy
metadata: { name: shop, namespace: ${NS} }
spec:
  targetRefs: [{ group: "", kind: Service, name: shop }]
  healthCheck:
    passive: { baseEjectionTime: 5m }`,
  ].join('\n---\n'));
  sluice = await startSluice(dir.path, ['--workers', '2']);
  await eventually('routes installed', async () => (await get(sluice.httpPort, 'shop.dash.test', '/')).status === 200);
  // Traffic: the dead shop endpoint is tried (and ejected), requests with no route are counted too.
  for (let i = 0; i < 40; i++) await get(sluice.httpPort, 'shop.dash.test', `/item/${i}`);
  for (let i = 0; i < 20; i++) await get(sluice.httpPort, 'api.dash.test', '/');
  for (let i = 0; i < 5; i++) await get(sluice.httpPort, 'nothing.dash.test', '/');
  await eventually('api-1 failing its health checks', async () => {
    const stats = JSON.parse((await get(sluice.adminPort, 'localhost', '/debug/stats')).body) as { backends: { id: string; endpoints: { key: string; state: string }[] }[] };
    return stats.backends.find((b) => b.id === 'dash/api:80')?.endpoints.find((e) => e.key === `127.0.0.1:${api1.port}`)?.state === 'health-check-failing';
  }, 10_000);
}, 60_000);

afterAll(async () => {
  await sluice?.stop();
  await stopBackends(backends ?? []);
  dir?.remove();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

describe('/debug/stats', () => {
  it('sums both workers per route and backend and shows each endpoint state and last error', async () => {
    const r = await get(sluice.adminPort, 'localhost', '/debug/stats');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toContain('application/json');
    const s = JSON.parse(r.body) as { generation: number; workers: number; routes: { id: string; requests: number; rps: number; p50Ms: number; p99Ms: number; series: number[] }[]; backends: { id: string; requests: number; endpoints: { key: string; state: string; lastError: { error: string } | null }[] }[]; listeners: { name: string; socketPort: number }[] };
    expect(s.workers).toBe(2);
    expect(s.generation).toBeGreaterThan(0);
    expect(s.listeners.map((l) => l.socketPort)).toContain(sluice.httpPort);
    const shopRoutes = s.routes.filter((x) => x.id.includes('dash/shop'));
    expect(shopRoutes.reduce((n, x) => n + x.requests, 0)).toBe(41);
    expect(s.routes.find((x) => x.id === '-')?.requests).toBe(5);
    const shop = s.backends.find((b) => b.id === 'dash/shop:80')!;
    expect(shop.requests).toBe(41);
    const dead = shop.endpoints.find((e) => e.key === `127.0.0.1:${deadPort}`)!;
    expect(dead.state).toBe('ejected');
    expect(dead.lastError?.error).toContain('ECONNREFUSED');
    expect(shop.endpoints.find((e) => e.key === `127.0.0.1:${backends[0]!.port}`)).toMatchObject({ state: 'ready', lastError: null });
  });

  it('/dashboard is one self-contained HTML page (no external assets)', async () => {
    expect((await get(sluice.adminPort, 'localhost', '/dashboard')).headers['content-type']).toContain('text/html');
    const html = (await get(sluice.adminPort, 'localhost', '/dashboard')).body;
    expect(html).not.toMatch(/<(link|script|img)[^>]+(src|href)=/);
  });
});

withChromium('/dashboard in headless Chromium', () => {
  it('renders routes, backends and endpoint states from /debug/stats', async () => {
    const dom = await chromium(`http://127.0.0.1:${sluice.adminPort}/dashboard`, { dom: true });
    expect(dom).toMatch(/<body[^>]*data-loaded="true"/);
    expect(dom).toContain('<span id="status" class="live">live</span>');
    // Listeners with their sockets.
    expect(rows(dom, 'data-listener', 'http').join('')).toContain(`:${sluice.httpPort}`);
    // Routes: the shop route with its rate; the requests no route matched.
    const shopRoute = dom.match(/<tr data-route="[^"]*dash\/shop[^"]*"[\s\S]*?<\/tr>/)?.[0];
    expect(shopRoute).toBeDefined();
    expect(Number(cell(shopRoute!, 'rps'))).toBeGreaterThan(0);
    expect(cell(shopRoute!, 'p50')).toMatch(/ms$/);
    expect(shopRoute).toContain('<polyline points="');
    const noRoute = rows(dom, 'data-route', '-')[0]!;
    expect(noRoute).toContain('(no route)');
    // Backends: the dead endpoint ejected with its error, api-1 failing its health checks.
    const [dead] = rows(dom, 'data-endpoint', `127.0.0.1:${deadPort}`);
    expect(dead).toContain('data-state="ejected"');
    expect(cell(dead!, 'last-error')).toContain('ECONNREFUSED');
    const [failing] = rows(dom, 'data-endpoint', `127.0.0.1:${backends[2]!.port}`);
    expect(failing).toContain('data-state="health-check-failing"');
    const [healthy] = rows(dom, 'data-endpoint', `127.0.0.1:${backends[0]!.port}`);
    expect(healthy).toContain('data-state="ready"');
    const [apiBackend] = rows(dom, 'data-backend', 'dash/api:80');
    expect(Number(cell(apiBackend!, 'rps'))).toBeGreaterThan(0);
  }, 90_000);

  it('saves a screenshot of the page under test-results/', async () => {
    mkdirSync(OUTPUT, { recursive: true });
    const file = join(OUTPUT, 'dashboard.png');
    rmSync(file, { force: true });
    await chromium(`http://127.0.0.1:${sluice.adminPort}/dashboard`, { screenshot: file });
    expect(statSync(file).size).toBeGreaterThan(10_000);
  }, 90_000);
});
