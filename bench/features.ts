// What the features a real deployment turns on cost (issue 13, item 8): the same one-worker
// Sluice (pinned to the proxy CPU), small body, once on the bench's bare route (one Ingress rule)
// and once behind a Gateway with 50 HTTPRoutes on the bench host: 49 that the request is tested
// against and does not match (each wants another `x-tenant` header value), then the one that
// matches its `x-tenant` header and runs a RequestHeaderModifier (set, add, remove), with
// --access-log to a file. Metrics are on in both (they always are). Interleaved rounds, median
// req/s; the goal is features ≥ 0.85 × bare. Both send the same request (the header included).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_HOST, type BenchContext } from './lib/context.ts';
import { gatewayYaml, ManifestDir, NAMESPACE, originRouteManifests, serviceYaml } from './lib/manifests.ts';
import { freePorts } from './lib/net.ts';
import { interleavedRounds, type RoundRow } from './lib/rounds.ts';
import { startSluice, type SluiceServer } from './lib/servers.ts';
import { round } from './lib/stats.ts';

/** HTTPRoutes on the bench host in the features variant, the matching one included. */
export const FEATURE_ROUTES = 50;
export const FEATURES_GOAL = 0.85;
const TENANT_HEADER = 'x-tenant';
const MATCHING_TENANT = 'bench';

export type FeaturesRow = RoundRow<'bare' | 'features'>;

export interface FeaturesResult {
  readonly rows: readonly FeaturesRow[];
  readonly routes: number;
  /** req/s features ÷ bare. */
  readonly ratio: number;
  /** CPU µs per request, bare ÷ features (1: the features cost nothing). */
  readonly cpuRatio: number;
  /** Access-log lines ÷ requests wrk counted against the features variant (1: none lost). */
  readonly linesPerRequest: number;
  readonly goalMet: boolean;
}

/** One HTTPRoute for tenant `tenant`: `/` of the bench host when its header matches. */
function tenantRoute(tenant: string, index: number): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: tenant-${String(index).padStart(2, '0')}, namespace: ${NAMESPACE} }
spec:
  parentRefs: [{ name: features }]
  hostnames: [${BENCH_HOST}]
  rules:
    - matches: [{ path: { type: PathPrefix, value: / }, headers: [{ name: ${TENANT_HEADER}, value: ${tenant} }] }]
      filters:
        - type: RequestHeaderModifier
          requestHeaderModifier:
            set: [{ name: x-tenant-id, value: "${tenant}" }]
            add: [{ name: x-route, value: tenant-${index} }]
            remove: [x-debug]
      backendRefs: [{ name: origin, port: 80 }]`;
}

/** The features variant's folder: a Gateway on port 80 and FEATURE_ROUTES tenant routes. */
export function featureManifests(path: string, originPort: number): ManifestDir {
  const manifests = new ManifestDir(path);
  manifests.write('origin.yaml', serviceYaml('origin', [{ port: originPort }]));
  manifests.write('gateway.yaml', gatewayYaml('features', '{ name: http, port: 80, protocol: HTTP }'));
  // Every route has the same path and one header match, so Gateway API orders them by age and
  // then namespace/name (the files carry no creationTimestamp): tenant-50, the matching one, is
  // tried last, after 49 header matches that fail.
  const routes = Array.from({ length: FEATURE_ROUTES - 1 }, (_, i) => tenantRoute(`t${i + 1}`, i + 1));
  routes.push(tenantRoute(MATCHING_TENANT, FEATURE_ROUTES));
  manifests.write('routes.yaml', routes.join('\n---\n'));
  return manifests;
}

export async function runFeatures(ctx: BenchContext): Promise<FeaturesResult> {
  const { settings, ws, origin } = ctx;
  const bare = originRouteManifests(join(ws.dir, 'features-bare'), origin.port, BENCH_HOST);
  const features = featureManifests(join(ws.dir, 'features-on'), origin.port);
  const logFile = join(ws.dir, 'features-access.log');
  const ports = await freePorts(4);
  const p = settings.proxyCpus;
  const targets: { label: FeaturesRow['label']; server: SluiceServer }[] = [];
  let featureRequests = 0;
  let rows: FeaturesRow[];
  try {
    targets.push(
      { label: 'bare', server: await startSluice({ manifests: bare.path, httpPort: ports[0]!, adminPort: ports[1]!, cpus: p, workers: 1, name: 'sluice-bare' }) },
      { label: 'features', server: await startSluice({ manifests: features.path, httpPort: ports[2]!, adminPort: ports[3]!, cpus: p, workers: 1, name: 'sluice-features', extraArgs: ['--access-log', logFile] }) },
    );
    rows = await interleavedRounds(ctx, 'features', targets, { path: '/', host: BENCH_HOST, headers: [`${TENANT_HEADER}: ${MATCHING_TENANT}`, 'x-debug: 1'] }, (label, wrk) => {
      if (label === 'features') featureRequests += wrk.requests;
      // A route that did not match would answer 404: every request must have taken the tenant route.
      if (wrk.non2xx > 0) throw new Error(`features: ${label} answered ${wrk.non2xx} requests with a non-2xx status`);
    });
  } finally {
    // Stopping flushes what the access-log sink still holds.
    for (const t of targets) await t.server.group.stop();
  }
  const lines = readFileSync(logFile, 'utf8').split('\n').length - 1;
  const ratio = round(rows[1]!.rps / rows[0]!.rps, 3);
  return {
    rows,
    routes: FEATURE_ROUTES,
    ratio,
    cpuRatio: round(rows[0]!.cpu_us_per_req / rows[1]!.cpu_us_per_req, 3),
    linesPerRequest: featureRequests > 0 ? round(lines / featureRequests, 4) : NaN,
    goalMet: ratio >= FEATURES_GOAL,
  };
}

export function featuresMarkdown(r: FeaturesResult): string {
  return [
    '## Features cost',
    '',
    `One Sluice worker on the proxy CPU, small body. bare: one Ingress rule. features: a Gateway with ${r.routes} HTTPRoutes on the host, each with a header match (the request matches the last one tried) and a RequestHeaderModifier, plus \`--access-log FILE\`; metrics on in both. Interleaved rounds, median. Goal: features ≥ ${FEATURES_GOAL} × bare.`,
    '',
    '| variant | req/s | p50 ms | p99 ms | CPU µs/req | of it kernel µs | rounds |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...r.rows.map((x) => `| ${x.label} | ${x.rps.toLocaleString('en-US')} | ${x.p50_ms} | ${x.p99_ms} | ${x.cpu_us_per_req} | ${x.cpu_sys_us_per_req} | ${x.rounds} |`),
    '',
    `req/s features ÷ bare: **${r.ratio}** (goal ${r.goalMet ? 'met' : 'not met'}) · CPU per request bare ÷ features: **${r.cpuRatio}** · access-log lines per request served: ${r.linesPerRequest}`,
  ].join('\n');
}
