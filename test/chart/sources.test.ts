// One source for each thing the chart shares with the rest of the repo: its RBAC is
// deploy/rbac.yaml, its CRDs are crds/sluice/ and crds/gateway-api/, deploy/sluice.yaml is the
// chart rendered with its defaults (scripts/sync-chart.sh keeps all of them current), and its
// default image is the one the README and the Dockerfile build.
import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { cacheDir } from '../cluster/harness.js';
import { CHART, helm, objectsOf, one, parseManifests, REPO, sluiceContainer, template, type K8sObject } from './support/helm.js';

const HELM = process.env['SLUICE_HELM'] ?? join(cacheDir(), 'helm', 'bin', 'helm');

function sync(repo: string, ...args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile('bash', [join(repo, 'scripts', 'sync-chart.sh'), ...args], { env: { ...process.env, SLUICE_HELM: HELM }, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out: stdout + stderr }),
    );
  });
}

/** An object without what only the chart adds (labels). */
function bare(o: K8sObject): unknown {
  const { labels: _labels, ...metadata } = o.metadata;
  return { ...o, metadata };
}

describe('RBAC: deploy/rbac.yaml is the one source', () => {
  it('the chart reads a byte-identical copy of it', () => {
    expect(readFileSync(join(CHART, 'files', 'rbac.yaml'), 'utf8')).toBe(readFileSync(join(REPO, 'deploy', 'rbac.yaml'), 'utf8'));
  });

  it('rendered as release "sluice" in namespace "sluice", the chart\'s RBAC objects equal deploy/rbac.yaml', async () => {
    const fromFile = parseManifests(readFileSync(join(REPO, 'deploy', 'rbac.yaml'), 'utf8'));
    const rendered = await template({ namespace: 'sluice' });
    const kinds = new Set(fromFile.map((o) => o.kind));
    expect([...kinds].sort()).toEqual(['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding', 'ServiceAccount']);
    const chartRbac = rendered.filter((o) => kinds.has(o.kind));
    const key = (o: K8sObject) => `${o.kind}/${o.metadata.name}`;
    expect(chartRbac.map(bare).sort((a, b) => key(a as K8sObject).localeCompare(key(b as K8sObject)))).toEqual(
      fromFile.map(bare).sort((a, b) => key(a as K8sObject).localeCompare(key(b as K8sObject))),
    );
  });

  it('a Lease name other than the default narrows the Role to it, nothing else changes', async () => {
    const fromFile = parseManifests(readFileSync(join(REPO, 'deploy', 'rbac.yaml'), 'utf8'));
    const role = one(await template({ namespace: 'sluice', values: { leaderElection: { leaseName: 'other' } } }), 'Role');
    const expected = one(fromFile, 'Role').rules.map((r: { resourceNames?: string[] }) => (r.resourceNames ? { ...r, resourceNames: ['other'] } : r));
    expect(role.rules).toEqual(expected);
  });
});

describe('generated files are current (scripts/sync-chart.sh --check)', () => {
  it('deploy/sluice.yaml, deploy/gatewayclass.yaml and the chart\'s copies', async () => {
    const r = await sync(REPO, '--check');
    expect(r).toEqual({ code: 0, out: 'sync-chart: chart copies and deploy/ are current\n' });
  });

  it('deploy/sluice.yaml is the Namespace and the chart with its defaults, CRDs included', async () => {
    const objs = parseManifests(readFileSync(join(REPO, 'deploy', 'sluice.yaml'), 'utf8'));
    expect(objs[0]).toEqual({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'sluice-system' } });
    const rendered = await template({ args: ['--include-crds'] });
    expect(objs.slice(1)).toEqual(rendered);
    expect(sluiceContainer(objs.slice(1)).image).toBe('sluice:0.1.0');
    const gc = parseManifests(readFileSync(join(REPO, 'deploy', 'gatewayclass.yaml'), 'utf8'));
    expect(gc.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['GatewayClass/sluice']);
  });

  it('the Gateway API subchart holds crds/gateway-api/ unmodified, versioned by its bundle-version', () => {
    const sub = join(CHART, 'charts', 'gateway-api-crds');
    const version = (parse(readFileSync(join(REPO, 'crds', 'gateway-api', 'gateway.networking.k8s.io_gateways.yaml'), 'utf8')) as K8sObject).metadata.annotations!['gateway.networking.k8s.io/bundle-version'];
    const chart = parse(readFileSync(join(sub, 'Chart.yaml'), 'utf8')) as { version: string; appVersion: string };
    expect([chart.version, chart.appVersion]).toEqual([version!.replace(/^v/, ''), version]);
    const parent = parse(readFileSync(join(CHART, 'Chart.yaml'), 'utf8')) as { dependencies: { name: string; version: string; condition: string }[] };
    expect(parent.dependencies).toEqual([{ name: 'gateway-api-crds', version: chart.version, condition: 'gatewayAPI.installCRDs' }]);
    const crd = 'gateway.networking.k8s.io_httproutes.yaml';
    expect(readFileSync(join(sub, 'crds', crd), 'utf8')).toBe(readFileSync(join(REPO, 'crds', 'gateway-api', crd), 'utf8'));
  });
});

describe('the chart picks up whatever crds/sluice/ holds', () => {
  const CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.test.sluice.dev
spec:
  group: test.sluice.dev
  names: { kind: Widget, listKind: WidgetList, plural: widgets, singular: widget }
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema: { openAPIV3Schema: { type: object } }
`;

  it('a CRD added there is reported stale, copied, rendered with --include-crds; removed, it goes again', async () => {
    const copy = mkdtempSync(join(tmpdir(), 'sluice-sync-'));
    try {
      for (const dir of ['scripts', 'deploy', 'crds', 'charts']) cpSync(join(REPO, dir), join(copy, dir), { recursive: true });
      mkdirSync(join(copy, 'crds', 'sluice'), { recursive: true });
      writeFileSync(join(copy, 'crds', 'sluice', 'test.sluice.dev_widgets.yaml'), CRD);

      const stale = await sync(copy, '--check');
      expect(stale.code).toBe(1);
      expect(stale.out).toContain('  charts/sluice/crds/test.sluice.dev_widgets.yaml\n');
      expect(stale.out).toContain('  deploy/sluice.yaml\n');
      expect((await sync(copy)).code).toBe(0);
      expect((await sync(copy, '--check')).code).toBe(0);
      expect(readFileSync(join(copy, 'charts', 'sluice', 'crds', 'test.sluice.dev_widgets.yaml'), 'utf8')).toBe(CRD);
      const r = await helm(['template', 'sluice', join(copy, 'charts', 'sluice'), '--include-crds']);
      expect(objectsOf(parseManifests(r.stdout), 'CustomResourceDefinition').map((o) => o.metadata.name)).toContain('widgets.test.sluice.dev');
      expect(readFileSync(join(copy, 'deploy', 'sluice.yaml'), 'utf8')).toContain('name: widgets.test.sluice.dev');

      rmSync(join(copy, 'crds', 'sluice', 'test.sluice.dev_widgets.yaml'));
      const gone = await sync(copy, '--check');
      expect(gone.code).toBe(1);
      expect(gone.out).toContain('  charts/sluice/crds/test.sluice.dev_widgets.yaml\n');
      expect((await sync(copy)).code).toBe(0);
      expect(existsSync(join(copy, 'charts', 'sluice', 'crds', 'test.sluice.dev_widgets.yaml'))).toBe(false);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('versions and the image', () => {
  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };
  const chart = parse(readFileSync(join(CHART, 'Chart.yaml'), 'utf8')) as { version: string; appVersion: string };
  const dockerfile = readFileSync(join(REPO, 'Dockerfile'), 'utf8');

  it('chart version and appVersion are Sluice\'s version', () => {
    expect([chart.version, chart.appVersion]).toEqual([pkg.version, pkg.version]);
  });

  it('the default image is what README "Install in a cluster" tells users to build', async () => {
    const image = sluiceContainer(await template()).image as string;
    expect(image).toBe(`sluice:${pkg.version}`);
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Install in a cluster'));
    expect(section).toContain(`docker build -t ${image} .`);
  });

  it('the Dockerfile runs as the user the pod asks for and exposes the default ports', async () => {
    const pod = one(await template(), 'Deployment').spec.template.spec;
    const user = /^USER (\d+):(\d+)$/m.exec(dockerfile);
    expect(user?.slice(1).map(Number)).toEqual([pod.securityContext.runAsUser, pod.securityContext.runAsGroup]);
    const ports = sluiceContainer(await template()).ports.map((p: { containerPort: number }) => p.containerPort).join(' ');
    expect(dockerfile).toMatch(new RegExp(`^EXPOSE ${ports}$`, 'm'));
  });
});
