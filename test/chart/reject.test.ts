// Bad values fail `helm template` (and so `helm install`) with a message naming the value.
// The messages below are exactly what a user sees: values.schema.json's (helm v4 prints the
// JSON pointer of the value and what was wrong), or the chart's own checks (templates/_helpers.tpl
// "sluice.validate") for what a schema cannot express, such as two ports being equal.
import { describe, expect, it } from '@jest/globals';
import { templateRun } from './support/helm.js';

const SCHEMA_HEADER = "values don't meet the specifications of the schema(s) in the following chart(s):";

/** values → what helm prints for them after SCHEMA_HEADER and "sluice:" (its start, when a pattern follows). */
const SCHEMA_REJECTIONS: [string, Record<string, unknown>, string][] = [
  ['a wrong type', { config: { workers: 'two' } }, "- at '/config/workers': got string, want integer"],
  ['an unknown key at the top', { replicas: 3 }, "- at '': additional properties 'replicas' not allowed"],
  ['an unknown key in config (a misspelt flag)', { config: { wrokers: 2 } }, "- at '/config': additional properties 'wrokers' not allowed"],
  ['an unknown key in a nested object', { service: { ports: { admin: 9090 } } }, "- at '/service/ports': additional properties 'admin' not allowed"],
  ['a port out of range', { ports: { http: 70000 } }, "- at '/ports/http': maximum: got 70,000, want 65,535"],
  ['a Service type that does not exist', { service: { type: 'External' } }, "- at '/service/type': value must be one of 'LoadBalancer', 'NodePort', 'ClusterIP'"],
  ['a log level Sluice does not know', { config: { logLevel: 'verbose' } }, "- at '/config/logLevel': value must be one of 'trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'"],
  ['a duration in words', { config: { upstreamConnectTimeout: '5 seconds' } }, "- at '/config/upstreamConnectTimeout': '5 seconds' does not match pattern '^([0-9]+(\\\\.[0-9]+)?(ms|s|m|h))+$'"],
  ['a boolean as a string', { leaderElection: { enabled: 'yes' } }, "- at '/leaderElection/enabled': got string, want boolean"],
  ['zero workers', { config: { workers: 0 } }, "- at '/config/workers': minimum: got 0, want 1"],
  ['a default certificate without its namespace', { config: { defaultCertificate: 'wildcard' } }, "- at '/config/defaultCertificate': 'wildcard' does not match pattern"],
  ['an escaped-slashes mode Sluice does not know', { config: { escapedSlashes: 'decode' } }, "- at '/config/escapedSlashes': value must be one of 'keep', 'reject'"],
  ['trusted proxies as one string instead of a list', { config: { trustedProxies: '10.0.0.0/8' } }, "- at '/config/trustedProxies': got string, want array"],
  // One of several shapes: helm lists why each failed, indented under the value's line.
  ['a size Sluice cannot read', { config: { maxRequestBody: '10 megabytes' } }, "- at '/config/maxRequestBody': 'anyOf' failed\n  - at '/config/maxRequestBody': got string, want integer\n  - at '/config/maxRequestBody': '10 megabytes' does not match pattern '^[0-9]+ *([KMG]i?B|B)?$'"],
  ['an IngressClass name that is not a DNS name', { ingressClass: { name: 'Sluice_Class' } }, "- at '/ingressClass/name': 'Sluice_Class' does not match pattern"],
  ['an image digest that is not sha256', { image: { digest: 'latest' } }, "- at '/image/digest': 'latest' does not match pattern '^(sha256:[0-9a-f]{64})?$'"],
  ['a drain timeout as a duration string', { shutdown: { drainTimeoutSeconds: '30s' } }, "- at '/shutdown/drainTimeoutSeconds': got string, want integer"],
  ['an extra Service port out of range', { service: { extraPorts: [{ name: 'postgres', port: 70000 }] } }, "- at '/service/extraPorts/0/port': maximum: got 70,000, want 65,535"],
  ['an extra target port of 0', { service: { extraPorts: [{ name: 'postgres', port: 5432, targetPort: 0 }] } }, "- at '/service/extraPorts/0/targetPort': minimum: got 0, want 1"],
  ['an extra node port out of range', { service: { extraPorts: [{ name: 'postgres', port: 5432, nodePort: 99999 }] } }, "- at '/service/extraPorts/0/nodePort': maximum: got 99,999, want 65,535"],
  ['an extra port name in capitals', { service: { extraPorts: [{ name: 'Postgres', port: 5432 }] } }, "- at '/service/extraPorts/0/name': 'Postgres' does not match pattern"],
  ['an extra port name without a letter', { service: { extraPorts: [{ name: '5432', port: 5432 }] } }, "- at '/service/extraPorts/0/name': '5432' does not match pattern"],
  ['an extra port name with a double dash', { service: { extraPorts: [{ name: 'pg--primary', port: 5432 }] } }, "- at '/service/extraPorts/0/name': 'pg--primary' does not match pattern"],
  ['an extra port name longer than a port name may be', { service: { extraPorts: [{ name: 'postgres-primary1', port: 5432 }] } }, "- at '/service/extraPorts/0/name': maxLength: got 17, want 15"],
  ['an extra port without its port', { service: { extraPorts: [{ name: 'postgres' }] } }, "- at '/service/extraPorts/0': missing property 'port'"],
  ['an extra UDP port (Sluice serves TCP only)', { service: { extraPorts: [{ name: 'dns', port: 53, protocol: 'UDP' }] } }, "- at '/service/extraPorts/0/protocol': value must be 'TCP'"],
  ['an extra port with a key the chart does not know', { service: { extraPorts: [{ name: 'postgres', port: 5432, hostPort: 5432 }] } }, "- at '/service/extraPorts/0': additional properties 'hostPort' not allowed"],
];

/** Cross-value checks of the chart: values → the whole error line. */
const CHART_REJECTIONS: [string, Record<string, unknown>, string][] = [
  ['HTTP and HTTPS on one port', { ports: { http: 8443 } }, 'ports.http (8443), ports.https (8443) and ports.admin (9090) must differ'],
  ['HTTP and admin on one port', { ports: { admin: 8080 } }, 'ports.http (8080), ports.https (8443) and ports.admin (8080) must differ'],
  ['HTTPS and admin on one port', { ports: { https: 9090 } }, 'ports.http (8080), ports.https (9090) and ports.admin (9090) must differ'],
  ['two Service ports the same', { service: { ports: { http: 443 } } }, 'service.ports.http and service.ports.https must differ (both 443)'],
  ['PROXY protocol without trusted proxies', { config: { proxyProtocol: true } }, 'config.proxyProtocol needs config.trustedProxies (PROXY headers are accepted from trusted sources only)'],
  ['a PDB with both bounds', { podDisruptionBudget: { minAvailable: 1, maxUnavailable: 1 } }, 'podDisruptionBudget: set exactly one of minAvailable and maxUnavailable (the other null)'],
  ['an HPA whose minimum exceeds its maximum', { autoscaling: { enabled: true, minReplicas: 5, maxReplicas: 3 } }, 'autoscaling.minReplicas (5) must not exceed autoscaling.maxReplicas (3)'],
  ['an HPA without a target', { autoscaling: { enabled: true, targetCPUUtilizationPercentage: null } }, 'autoscaling.enabled needs autoscaling.targetCPUUtilizationPercentage or autoscaling.targetMemoryUtilizationPercentage'],
  ['a ServiceMonitor without the metrics Service', { metrics: { service: { enabled: false }, serviceMonitor: { enabled: true } } }, 'metrics.serviceMonitor.enabled needs metrics.service.enabled (the ServiceMonitor selects that Service)'],
  ['no ServiceAccount and no name for one', { serviceAccount: { create: false } }, 'serviceAccount.name is required when serviceAccount.create is false'],
  ['two extra ports of one name', { service: { extraPorts: [{ name: 'pg', port: 5432 }, { name: 'pg', port: 5433 }] } }, 'service.extraPorts[1].name "pg" is already the name of service.extraPorts[0]: port names must be unique'],
  ['an extra port named like the chart\'s own', { service: { extraPorts: [{ name: 'admin', port: 5432 }] } }, 'service.extraPorts[0].name "admin" is already the name of the chart\'s admin port: port names must be unique'],
  ['an extra port on the Service\'s HTTPS port', { service: { extraPorts: [{ name: 'alt', port: 443, targetPort: 9000 }] } }, 'service.extraPorts[0].port 443 is already service.ports.https: the Service takes each port once'],
  ['two extra ports on one Service port', { service: { extraPorts: [{ name: 'a', port: 5000 }, { name: 'b', port: 5000, targetPort: 5001 }] } }, 'service.extraPorts[1].port 5000 is already service.extraPorts[0].port: the Service takes each port once'],
  ['an extra port on the pod\'s HTTP port (a Gateway listener on 8080 with ports.http 8080)', { service: { extraPorts: [{ name: 'web', port: 8080 }] } }, 'service.extraPorts[0] targets pod port 8080, already taken by ports.http: Sluice listens on a Gateway listener\'s own port in the pod, so the two must differ'],
  ['two extra ports on one pod port', { service: { extraPorts: [{ name: 'a', port: 5000 }, { name: 'b', port: 5001, targetPort: 5000 }] } }, 'service.extraPorts[1] targets pod port 5000, already taken by service.extraPorts[0]: Sluice listens on a Gateway listener\'s own port in the pod, so the two must differ'],
  ['an extra port to listener port 443 (served on ports.https)', { service: { extraPorts: [{ name: 'tls', port: 9443, targetPort: 443 }] } }, 'service.extraPorts[0] targets pod port 443: Sluice serves Gateway listener port 443 on ports.https (8443), which service.ports already exposes'],
];

describe('values.schema.json rejects, naming the value', () => {
  for (const [what, values, line] of SCHEMA_REJECTIONS) {
    it(what, async () => {
      const r = await templateRun({ values });
      expect(r.code).not.toBe(0);
      expect(r.stdout).toBe('');
      const head = `Error: ${SCHEMA_HEADER}\nsluice:\n`;
      expect(r.stderr.slice(0, head.length + line.length)).toBe(head + line);
    });
  }
});

describe('the chart rejects values that contradict each other, naming them', () => {
  for (const [what, values, message] of CHART_REJECTIONS) {
    it(what, async () => {
      const r = await templateRun({ values });
      expect(r.code).not.toBe(0);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^Error: execution error at \(sluice\/templates\/[a-z.-]+:\d+:\d+\): /);
      expect(r.stderr.split('\n')[0]!.replace(/^Error: execution error at \([^)]*\): /, '')).toBe(message);
    });
  }
});
