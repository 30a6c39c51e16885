// charts/sluice rendered by the real helm: `helm lint --strict`, the objects of the default
// values, every documented value set, and the command line it gives Sluice, parsed by Sluice's
// own parser (src/cli.ts) so a flag the chart renders that Sluice would refuse fails here.
import { describe, expect, it } from '@jest/globals';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { parseConfig } from '../../src/cli.js';
import { OPTIONS } from '../../src/config/options.js';
import { CHART, REPO, flagsOf, helm, objectsOf, one, sluiceContainer, template, valuesArgs, type K8sObject } from './support/helm.js';

const NS = 'sluice-system';
/** Flags of the file provider only: the chart always runs --provider=kubernetes. */
const FILE_PROVIDER_ONLY = ['manifests', 'max-manifest-bytes'];

function argsOf(objs: readonly K8sObject[]): string[] {
  return sluiceContainer(objs).args as string[];
}

async function lint(values?: Record<string, unknown>): Promise<void> {
  const r = await helm(['lint', '--strict', '--with-subcharts', CHART, ...valuesArgs(values)]);
  expect({ code: r.code, out: r.stdout.split('\n').filter((l) => /\[(WARNING|ERROR)\]/.test(l)) }).toEqual({ code: 0, out: [] });
}

describe('default values', () => {
  let objs: K8sObject[];
  it('without gatewayAPI.installCRDs, --include-crds renders Sluice\'s own CRDs only (crds/sluice/)', async () => {
    const crds = objectsOf(await template({ args: ['--include-crds'] }), 'CustomResourceDefinition').map((o) => o.metadata.name);
    expect(crds.every((n) => !n.endsWith('.gateway.networking.k8s.io'))).toBe(true);
    const dir = join(REPO, 'crds', 'sluice');
    const own = (existsSync(dir) ? readdirSync(dir, { withFileTypes: true }) : []).filter((f) => f.isFile() && /\.ya?ml$/.test(f.name)).length;
    expect(crds.length).toBe(own);
  });

  it('pass helm lint --strict and render', async () => {
    await lint();
    objs = await template();
  });

  it('render exactly the objects of an Ingress-only install (no Gateway API served, nothing optional)', () => {
    const names = objs.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    expect(names).toEqual([
      'ClusterRole/sluice',
      'ClusterRoleBinding/sluice',
      'Deployment/sluice',
      'IngressClass/sluice',
      'PodDisruptionBudget/sluice',
      'Role/sluice-leader-election',
      'RoleBinding/sluice-leader-election',
      'Service/sluice',
      'Service/sluice-metrics',
      'ServiceAccount/sluice',
    ]);
    for (const o of objs) if (!['ClusterRole', 'ClusterRoleBinding', 'IngressClass'].includes(o.kind)) expect([o.kind, o.metadata.namespace]).toEqual([o.kind, NS]);
  });

  it('run two leader-electing replicas that publish their own Service, rolled one at a time', () => {
    const dep = one(objs, 'Deployment');
    expect(dep.spec.replicas).toBe(2);
    expect(dep.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    const flags = flagsOf(argsOf(objs));
    expect(flags.get('leader-elect')).toBe('true');
    const svc = one(objs, 'Service', 'sluice');
    expect(flags.get('publish-service')).toBe(`${svc.metadata.namespace}/${svc.metadata.name}`);
    expect(flags.get('lease-namespace')).toBe(NS);
    expect(dep.spec.template.spec.serviceAccountName).toBe(one(objs, 'ServiceAccount').metadata.name);
    expect(one(objs, 'Deployment').spec.selector.matchLabels).toEqual(svc.spec.selector);
  });

  it('give Sluice its own defaults except leader election, the published Service and the Lease namespace', () => {
    const fromChart = parseConfig(argsOf(objs), {});
    const plain = parseConfig([], {});
    expect(fromChart).toEqual({
      ...plain,
      leaderElect: true,
      publishService: { namespace: NS, name: 'sluice' },
      lease: { ...plain.lease, namespace: NS },
    });
  });

  it('harden the pod: non-root, read-only root, no capabilities, RuntimeDefault seccomp, only /tmp writable', () => {
    const pod = one(objs, 'Deployment').spec.template.spec;
    const c = sluiceContainer(objs);
    expect(pod.securityContext).toEqual({ runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } });
    expect(c.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(c.volumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp' }]);
    expect(pod.volumes).toEqual([{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }]);
    expect(c.resources).toEqual({ requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } });
  });

  it('probe /healthz and /readyz on the admin port and outlast the drain on shutdown', () => {
    const pod = one(objs, 'Deployment').spec.template.spec;
    const c = sluiceContainer(objs);
    const admin = c.ports.find((p: { name: string }) => p.name === 'admin').containerPort;
    expect(admin).toBe(parseConfig(argsOf(objs), {}).adminPort);
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'admin' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'admin' });
    const preStop = c.lifecycle.preStop.exec.command as string[];
    expect(preStop[0]).toBe('sleep');
    const drainS = parseConfig(argsOf(objs), {}).drainTimeoutMs / 1000;
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(Number(preStop[1]) + drainS);
    expect(pod.topologySpreadConstraints).toEqual([
      { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: one(objs, 'Deployment').spec.selector.matchLabels }, matchLabelKeys: ['pod-template-hash'] },
    ]);
  });

  it('expose 80/443 on a LoadBalancer and the admin port only on the metrics Service', () => {
    const svc = one(objs, 'Service', 'sluice');
    expect(svc.spec.type).toBe('LoadBalancer');
    expect(svc.spec.ports).toEqual([
      { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' },
      { name: 'https', port: 443, targetPort: 'https', protocol: 'TCP' },
    ]);
    const metrics = one(objs, 'Service', 'sluice-metrics');
    expect(metrics.spec.type).toBe('ClusterIP');
    expect(metrics.spec.ports).toEqual([{ name: 'metrics', port: 9090, targetPort: 'admin', protocol: 'TCP' }]);
    expect(one(objs, 'IngressClass').spec).toEqual({ controller: 'sluice.dev/ingress-controller' });
    expect(one(objs, 'IngressClass').metadata.annotations).toBeUndefined();
  });
});

describe('every Sluice flag is reachable through typed values', () => {
  // Every key of `config` and every derived value set to something other than its default.
  const everything = {
    ports: { http: 8081, https: 8444, admin: 9091 },
    ingressClass: { name: 'edge' },
    publish: { addresses: ['203.0.113.7', 'lb.example.com'] },
    leaderElection: { leaseName: 'edge-leader', namespace: 'leases', leaseDuration: '20s', renewDeadline: '12s', retryPeriod: '3s' },
    shutdown: { drainTimeoutSeconds: 45 },
    config: {
      logLevel: 'debug',
      workers: 3,
      watchNamespace: 'shop',
      bindAddress: '::',
      adminBindAddress: '0.0.0.0',
      debugRemote: true,
      gatewayAddressPool: '10.99.0.0/24',
      defaultCertificate: 'certs/wildcard',
      rejectUnknownSni: true,
      http2: false,
      http2Cleartext: true,
      http2MaxConcurrentStreams: 64,
      mergeSlashes: false,
      escapedSlashes: 'reject',
      maxRequestBody: '10MiB',
      trustedProxies: ['10.0.0.0/8', 'fd00::/8'],
      trustedHops: 2,
      proxyProtocol: true,
      upstreamConnectTimeout: '2s',
      upstreamResponseTimeout: '1m30s',
      upstreamIdleTimeout: '45s',
      upstreamKeepAliveTimeout: '30s',
      clientKeepAliveTimeout: '75s',
      clientHeaderTimeout: '20s',
      tlsHandshakeTimeout: '5s',
      debounce: '100ms',
      debounceMax: '1s',
      accessLog: 'stdout',
      accessLogFields: ['time', 'status', 'route', 'upstream'],
      accessLogSample: '0.25',
      otlpEndpoint: 'http://otel-collector.monitoring:4318',
      traceSample: '0.1',
      redisUrl: 'redis://redis.infra:6379/0',
    },
  };

  it('each flag of src/config/options.ts appears with a value set (the file provider\'s excepted)', async () => {
    await lint(everything);
    const defaults = flagsOf(argsOf(await template()));
    const all = flagsOf(argsOf(await template({ values: everything })));
    const reached = new Set([...defaults.keys(), ...all.keys()]);
    const expected = OPTIONS.map((o) => o.flag).filter((f) => !FILE_PROVIDER_ONLY.includes(f));
    expect([...reached].sort()).toEqual([...expected].sort());
    for (const f of FILE_PROVIDER_ONLY) expect(reached.has(f)).toBe(false);
  });

  it('Sluice reads the values back as given', async () => {
    const config = parseConfig(argsOf(await template({ values: everything })), {});
    expect(config).toMatchObject({
      provider: 'kubernetes',
      httpPort: 8081,
      httpsPort: 8444,
      adminPort: 9091,
      bindAddress: '::',
      adminBindAddress: '0.0.0.0',
      debugRemote: true,
      ingressClass: 'edge',
      watchNamespace: 'shop',
      publishAddress: ['203.0.113.7', 'lb.example.com'],
      gatewayAddressPool: '10.99.0.0/24',
      publishService: undefined,
      leaderElect: true,
      lease: { name: 'edge-leader', namespace: 'leases', durationMs: 20_000, renewDeadlineMs: 12_000, retryPeriodMs: 3000 },
      logLevel: 'debug',
      workers: 3,
      upstream: { connectMs: 2000, responseMs: 90_000, idleMs: 45_000, keepAliveMs: 30_000 },
      clientKeepAliveMs: 75_000,
      edge: {
        trustedProxies: ['10.0.0.0/8', 'fd00::/8'],
        trustedHops: 2,
        proxyProtocol: true,
        headerTimeoutMs: 20_000,
        tlsHandshakeTimeoutMs: 5000,
        maxRequestBodyBytes: 10 * 1024 * 1024,
        mergeSlashes: false,
        escapedSlashes: 'reject',
        rejectUnknownSni: true,
      },
      http2: { tls: false, cleartext: true, maxConcurrentStreams: 64 },
      defaultCertificate: { namespace: 'certs', name: 'wildcard' },
      drainTimeoutMs: 45_000,
      debounce: { holdoffMs: 100, maxDelayMs: 1000 },
      accessLog: { destination: 'stdout', fields: ['time', 'status', 'upstream', 'route'], sample: 0.25 },
      tracing: { otlpEndpoint: 'http://otel-collector.monitoring:4318', sample: 0.1 },
      redisUrl: 'redis://redis.infra:6379/0',
    });
  });

  it('values.yaml lists (and so documents) every key the schema allows, and the schema every key of values.yaml', () => {
    type Schema = { properties?: Record<string, Schema>; additionalProperties?: unknown };
    const schema = JSON.parse(readFileSync(join(CHART, 'values.schema.json'), 'utf8')) as Schema;
    const values = parse(readFileSync(join(CHART, 'values.yaml'), 'utf8')) as Record<string, unknown>;
    const missing: string[] = [];
    const walk = (s: Schema, v: unknown, path: string) => {
      if (!s.properties || s.additionalProperties !== false) return;
      const given = v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
      for (const key of Object.keys(s.properties)) {
        if (path === '' && (key === 'global' || key === 'gateway-api-crds')) continue; // Helm's, not ours
        if (!(key in given)) missing.push(`${path}${key}`);
        else walk(s.properties[key]!, given[key], `${path}${key}.`);
      }
    };
    walk(schema, values, '');
    expect(missing).toEqual([]);
  });

  it('a byte count given as a number is passed as digits, not in exponent form', async () => {
    const config = parseConfig(argsOf(await template({ values: { config: { maxRequestBody: 104857600 } } })), {});
    expect(config.edge.maxRequestBodyBytes).toBe(104857600);
  });
});

/** The documented value sets (README "Install in a cluster", values.yaml): each lints and renders as described. */
const VALUE_SETS: { name: string; values: Record<string, unknown>; args?: string[]; check: (objs: K8sObject[]) => void }[] = [
  {
    name: 'service.type NodePort with fixed node ports and externalTrafficPolicy Local',
    values: { service: { type: 'NodePort', externalTrafficPolicy: 'Local', nodePorts: { http: 30080, https: 30443 }, annotations: { a: 'b' } } },
    check: (objs) => {
      const svc = one(objs, 'Service', 'sluice');
      expect(svc.spec.type).toBe('NodePort');
      expect(svc.spec.externalTrafficPolicy).toBe('Local');
      expect(svc.spec.ports.map((p: { nodePort: number }) => p.nodePort)).toEqual([30080, 30443]);
      expect(svc.metadata.annotations).toEqual({ a: 'b' });
    },
  },
  {
    name: 'service.type ClusterIP (behind another load balancer): no node ports, no traffic policy',
    values: { service: { type: 'ClusterIP', externalTrafficPolicy: 'Local', nodePorts: { http: 30080, https: null } } },
    check: (objs) => {
      const svc = one(objs, 'Service', 'sluice');
      expect(svc.spec.type).toBe('ClusterIP');
      expect(svc.spec.externalTrafficPolicy).toBeUndefined();
      expect(svc.spec.ports.every((p: { nodePort?: number }) => p.nodePort === undefined)).toBe(true);
    },
  },
  {
    name: 'LoadBalancer class and source ranges',
    values: { service: { loadBalancerClass: 'example.com/lb', loadBalancerSourceRanges: ['192.0.2.0/24'] } },
    check: (objs) => expect(one(objs, 'Service', 'sluice').spec).toMatchObject({ loadBalancerClass: 'example.com/lb', loadBalancerSourceRanges: ['192.0.2.0/24'] }),
  },
  {
    name: 'ingressClass.isDefaultClass',
    values: { ingressClass: { isDefaultClass: true } },
    check: (objs) => expect(one(objs, 'IngressClass').metadata.annotations).toEqual({ 'ingressclass.kubernetes.io/is-default-class': 'true' }),
  },
  {
    name: 'ingressClass.create false: Sluice serves a class created elsewhere',
    values: { ingressClass: { create: false, name: 'external' } },
    check: (objs) => {
      expect(objectsOf(objs, 'IngressClass')).toEqual([]);
      expect(flagsOf(argsOf(objs)).get('ingress-class')).toBe('external');
    },
  },
  {
    name: 'a cluster that serves the Gateway API gets the GatewayClass',
    values: { gatewayClass: { description: 'Sluice' } },
    args: ['--api-versions', 'gateway.networking.k8s.io/v1/GatewayClass'],
    check: (objs) => expect(one(objs, 'GatewayClass', 'sluice').spec).toEqual({ controllerName: 'sluice.dev/gateway-controller', description: 'Sluice' }),
  },
  {
    name: 'gatewayClass.create false: none even where the Gateway API is served',
    values: { gatewayClass: { create: false } },
    args: ['--api-versions', 'gateway.networking.k8s.io/v1/GatewayClass'],
    check: (objs) => expect(objectsOf(objs, 'GatewayClass')).toEqual([]),
  },
  {
    name: 'gatewayAPI.installCRDs: the standard-channel CRDs, their safe-upgrades policy and the GatewayClass',
    values: { gatewayAPI: { installCRDs: true } },
    args: ['--include-crds'],
    check: (objs) => {
      const crds = objectsOf(objs, 'CustomResourceDefinition').map((o) => o.metadata.name).filter((n) => n.endsWith('.gateway.networking.k8s.io'));
      expect(crds).toEqual(expect.arrayContaining(['gatewayclasses.gateway.networking.k8s.io', 'gateways.gateway.networking.k8s.io', 'httproutes.gateway.networking.k8s.io', 'referencegrants.gateway.networking.k8s.io']));
      expect(crds.length).toBe(readdirSync(join(REPO, 'crds', 'gateway-api')).filter((f) => f.endsWith('.yaml') && !f.includes('_vap_')).length);
      expect(objectsOf(objs, 'ValidatingAdmissionPolicy').length).toBe(1);
      expect(one(objs, 'GatewayClass').metadata.name).toBe('sluice');
    },
  },
  {
    name: 'autoscaling.enabled: an HPA owns the replica count',
    values: { autoscaling: { enabled: true, minReplicas: 3, maxReplicas: 6, targetMemoryUtilizationPercentage: 80 } },
    check: (objs) => {
      const hpa = one(objs, 'HorizontalPodAutoscaler');
      expect(hpa.spec).toMatchObject({ scaleTargetRef: { kind: 'Deployment', name: 'sluice' }, minReplicas: 3, maxReplicas: 6 });
      expect(hpa.spec.metrics.map((m: { resource: { name: string } }) => m.resource.name)).toEqual(['cpu', 'memory']);
      expect(one(objs, 'Deployment').spec.replicas).toBeUndefined();
    },
  },
  {
    name: 'metrics.serviceMonitor.enabled',
    values: { metrics: { serviceMonitor: { enabled: true, interval: '15s', labels: { release: 'prometheus' } } } },
    check: (objs) => {
      const sm = one(objs, 'ServiceMonitor');
      expect(sm.metadata.labels?.['release']).toBe('prometheus');
      expect(sm.spec.endpoints).toEqual([{ port: 'metrics', path: '/metrics', interval: '15s' }]);
      const metricsLabels = one(objs, 'Service', 'sluice-metrics').metadata.labels!;
      for (const [k, v] of Object.entries(sm.spec.selector.matchLabels as Record<string, string>)) expect([k, metricsLabels[k]]).toEqual([k, v]);
      // The data-plane Service does not match: Prometheus scrapes the admin port only.
      expect(one(objs, 'Service', 'sluice').metadata.labels?.['app.kubernetes.io/component']).toBeUndefined();
    },
  },
  {
    name: 'metrics.grafanaDashboard.enabled',
    values: { metrics: { grafanaDashboard: { enabled: true, namespace: 'monitoring', annotations: { grafana_folder: 'Ingress' } } } },
    check: (objs) => {
      const cm = one(objs, 'ConfigMap', 'sluice-grafana-dashboard');
      expect(cm.metadata.namespace).toBe('monitoring');
      expect(cm.metadata.labels?.['grafana_dashboard']).toBe('1');
      expect(cm.metadata.annotations).toEqual({ grafana_folder: 'Ingress' });
      // The dashboard as the repository holds it, byte for byte.
      expect(cm.data['sluice.json']).toBe(readFileSync(join(CHART, 'dashboards', 'sluice.json'), 'utf8').trimEnd());
      expect(JSON.parse(cm.data['sluice.json']).uid).toBe('sluice');
    },
  },
  {
    name: 'metrics.service.enabled false',
    values: { metrics: { service: { enabled: false } } },
    check: (objs) => expect(objectsOf(objs, 'Service').map((s) => s.metadata.name)).toEqual(['sluice']),
  },
  {
    name: 'ports below 1024: NET_BIND_SERVICE and the unprivileged-port sysctl, nothing else',
    values: { ports: { http: 80, https: 443, admin: 9090 } },
    check: (objs) => {
      const pod = one(objs, 'Deployment').spec.template.spec;
      expect(sluiceContainer(objs).securityContext.capabilities).toEqual({ drop: ['ALL'], add: ['NET_BIND_SERVICE'] });
      expect(pod.securityContext.sysctls).toEqual([{ name: 'net.ipv4.ip_unprivileged_port_start', value: '80' }]);
      expect(parseConfig(argsOf(objs), {}).httpPort).toBe(80);
    },
  },
  {
    name: 'service.extraPorts: Gateway listener ports in the Service and the container, node ports as given',
    values: {
      service: {
        type: 'NodePort',
        extraPorts: [
          { name: 'postgres', port: 5432 },
          { name: 'tls-passthrough', port: 9443, nodePort: 30943, protocol: 'TCP' },
          { name: 'alt-http', port: 8000, targetPort: 18000 },
        ],
      },
    },
    check: (objs) => {
      expect(one(objs, 'Service', 'sluice').spec.ports).toEqual([
        { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' },
        { name: 'https', port: 443, targetPort: 'https', protocol: 'TCP' },
        { name: 'postgres', port: 5432, targetPort: 'postgres', protocol: 'TCP' },
        { name: 'tls-passthrough', port: 9443, targetPort: 'tls-passthrough', protocol: 'TCP', nodePort: 30943 },
        { name: 'alt-http', port: 8000, targetPort: 'alt-http', protocol: 'TCP' },
      ]);
      expect(sluiceContainer(objs).ports).toEqual([
        { name: 'http', containerPort: 8080, protocol: 'TCP' },
        { name: 'https', containerPort: 8443, protocol: 'TCP' },
        { name: 'admin', containerPort: 9090, protocol: 'TCP' },
        { name: 'postgres', containerPort: 5432, protocol: 'TCP' },
        { name: 'tls-passthrough', containerPort: 9443, protocol: 'TCP' },
        { name: 'alt-http', containerPort: 18000, protocol: 'TCP' },
      ]);
      // All above 1024: the pod stays without capabilities.
      expect(sluiceContainer(objs).securityContext.capabilities).toEqual({ drop: ['ALL'] });
      expect(one(objs, 'Deployment').spec.template.spec.securityContext.sysctls).toBeUndefined();
    },
  },
  {
    name: 'service.extraPorts on a ClusterIP Service: no node port; a listener port below 1024 gets NET_BIND_SERVICE',
    values: { service: { type: 'ClusterIP', extraPorts: [{ name: 'dns-over-tls', port: 853, nodePort: 30853 }] } },
    check: (objs) => {
      expect(one(objs, 'Service', 'sluice').spec.ports[2]).toEqual({ name: 'dns-over-tls', port: 853, targetPort: 'dns-over-tls', protocol: 'TCP' });
      expect(sluiceContainer(objs).ports[3]).toEqual({ name: 'dns-over-tls', containerPort: 853, protocol: 'TCP' });
      expect(sluiceContainer(objs).securityContext.capabilities).toEqual({ drop: ['ALL'], add: ['NET_BIND_SERVICE'] });
      expect(one(objs, 'Deployment').spec.template.spec.securityContext.sysctls).toEqual([{ name: 'net.ipv4.ip_unprivileged_port_start', value: '853' }]);
    },
  },
  {
    name: 'leaderElection.enabled false: one writer by itself, no Role',
    values: { replicaCount: 1, leaderElection: { enabled: false } },
    check: (objs) => {
      expect(objectsOf(objs, 'Role')).toEqual([]);
      expect(objectsOf(objs, 'RoleBinding')).toEqual([]);
      const flags = flagsOf(argsOf(objs));
      expect(flags.get('leader-elect')).toBe('false');
      expect(flags.has('lease-name')).toBe(false);
    },
  },
  {
    name: 'leaderElection lease name and namespace: the Role follows them',
    values: { leaderElection: { leaseName: 'edge-leader', namespace: 'leases' } },
    check: (objs) => {
      const role = one(objs, 'Role');
      expect(role.metadata.namespace).toBe('leases');
      expect(role.rules.find((r: { resourceNames?: string[] }) => r.resourceNames).resourceNames).toEqual(['edge-leader']);
      expect(one(objs, 'RoleBinding').metadata.namespace).toBe('leases');
      expect(one(objs, 'RoleBinding').subjects).toEqual([{ kind: 'ServiceAccount', name: 'sluice', namespace: NS }]);
    },
  },
  {
    name: 'publish.service false and no addresses: nothing published',
    values: { publish: { service: false } },
    check: (objs) => {
      const config = parseConfig(argsOf(objs), {});
      expect([config.publishService, config.publishAddress]).toEqual([undefined, []]);
    },
  },
  {
    name: 'image by digest, pull secrets, pod metadata, scheduling',
    values: {
      image: { repository: 'registry.example.com/sluice', digest: `sha256:${'a'.repeat(64)}`, pullPolicy: 'Always' },
      imagePullSecrets: [{ name: 'regcred' }],
      podAnnotations: { 'example.com/a': 'b' },
      podLabels: { team: 'edge' },
      priorityClassName: 'system-cluster-critical',
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      tolerations: [{ key: 'edge', operator: 'Exists', effect: 'NoSchedule' }],
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'edge', operator: 'Exists' }] }] } } },
      topologySpread: { enabled: false },
    },
    check: (objs) => {
      const pod = one(objs, 'Deployment').spec.template;
      expect(sluiceContainer(objs)).toMatchObject({ image: `registry.example.com/sluice@sha256:${'a'.repeat(64)}`, imagePullPolicy: 'Always' });
      expect(pod.metadata.annotations).toEqual({ 'example.com/a': 'b' });
      expect(pod.metadata.labels.team).toBe('edge');
      expect(pod.spec).toMatchObject({ imagePullSecrets: [{ name: 'regcred' }], priorityClassName: 'system-cluster-critical', nodeSelector: { 'kubernetes.io/os': 'linux' } });
      expect(pod.spec.tolerations).toHaveLength(1);
      expect(pod.spec.affinity.nodeAffinity).toBeDefined();
      expect(pod.spec.topologySpreadConstraints).toBeUndefined();
    },
  },
  {
    name: 'shutdown: a longer drain lengthens the grace period',
    values: { shutdown: { preStopSleepSeconds: 10, drainTimeoutSeconds: 120 } },
    check: (objs) => {
      expect(one(objs, 'Deployment').spec.template.spec.terminationGracePeriodSeconds).toBe(140);
      expect(parseConfig(argsOf(objs), {}).drainTimeoutMs).toBe(120_000);
      expect(sluiceContainer(objs).lifecycle.preStop.exec.command).toEqual(['sleep', '10']);
    },
  },
  {
    name: 'podDisruptionBudget minAvailable, and disabled',
    values: { podDisruptionBudget: { minAvailable: '50%', maxUnavailable: null } },
    check: (objs) => expect(one(objs, 'PodDisruptionBudget').spec).toMatchObject({ minAvailable: '50%' }),
  },
  {
    name: 'an existing ServiceAccount, no RBAC from the chart',
    values: { serviceAccount: { create: false, name: 'provided' }, rbac: { create: false }, podDisruptionBudget: { enabled: false } },
    check: (objs) => {
      expect(objs.filter((o) => ['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding', 'PodDisruptionBudget'].includes(o.kind))).toEqual([]);
      expect(one(objs, 'Deployment').spec.template.spec.serviceAccountName).toBe('provided');
    },
  },
  {
    name: 'extraEnv reaches the container after the downward-API variables',
    values: { extraEnv: [{ name: 'NODE_OPTIONS', value: '--max-old-space-size=384' }] },
    check: (objs) => expect(sluiceContainer(objs).env.map((e: { name: string }) => e.name)).toEqual(['POD_NAME', 'POD_NAMESPACE', 'NODE_OPTIONS']),
  },
  {
    name: 'fullnameOverride names every object',
    values: { fullnameOverride: 'edge' },
    check: (objs) => {
      expect(flagsOf(argsOf(objs)).get('publish-service')).toBe(`${NS}/edge`);
      expect(one(objs, 'ClusterRoleBinding', 'edge').subjects).toEqual([{ kind: 'ServiceAccount', name: 'edge', namespace: NS }]);
    },
  },
];

describe('documented value sets', () => {
  for (const set of VALUE_SETS) {
    it(set.name, async () => {
      await lint(set.values);
      const objs = await template({ values: set.values, ...(set.args ? { args: set.args } : {}) });
      parseConfig(argsOf(objs), {}); // whatever the values, Sluice accepts the command line
      set.check(objs);
    });
  }
});
