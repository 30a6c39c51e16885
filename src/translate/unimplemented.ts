// Fields of the objects Sluice serves that it does not implement. The apiserver hands over the
// whole object, including fields newer API versions added (listener tls.options, IngressClass
// parameters, ...); translate reads only
// the fields below. Every other field present on an object we serve is reported as a warning
// diagnostic (log, sluice_diagnostics, /debug/routes) instead of being dropped silently. The
// trees mirror the types in src/api: a field added there and implemented gets a line here, and
// the golden tests (which use every implemented field) fail when the two disagree.
import type { KubeObject } from '../api/core.js';
import { type Diagnostics, sourceOf } from './diagnostics.js';
import { SSL_PASSTHROUGH_ANNOTATION } from './ingress/passthrough.js';

/** Known fields of an object; `true`: a value whose content the translators judge themselves. */
interface Fields {
  readonly [name: string]: Fields | true;
}

const objectRef: Fields = { group: true, kind: true, name: true, namespace: true };
const backendRef: Fields = { ...objectRef, port: true };
const headerFilter: Fields = { set: true, add: true, remove: true };
const pathModifier: Fields = { type: true, replaceFullPath: true, replacePrefixMatch: true };
const routeFilter: Fields = {
  type: true,
  requestHeaderModifier: headerFilter,
  responseHeaderModifier: headerFilter,
  requestRedirect: { scheme: true, hostname: true, path: pathModifier, port: true, statusCode: true },
  urlRewrite: { hostname: true, path: pathModifier },
  requestMirror: { backendRef, percent: true, fraction: { numerator: true, denominator: true } },
  cors: { allowOrigins: true, allowMethods: true, allowHeaders: true, exposeHeaders: true, maxAge: true, allowCredentials: true },
  extensionRef: true,
};
const nameValueMatch: Fields = { type: true, name: true, value: true };
const ingressBackend: Fields = { service: { name: true, port: { name: true, number: true } }, resource: true };
const sessionPersistence: Fields = { sessionName: true, absoluteTimeout: true, idleTimeout: true, type: true, cookieConfig: { lifetimeType: true } };

const SPECS: Readonly<Record<string, Fields>> = {
  IngressClass: { controller: true },
  Ingress: {
    ingressClassName: true,
    defaultBackend: ingressBackend,
    rules: { host: true, http: { paths: { path: true, pathType: true, backend: ingressBackend } } },
    tls: { hosts: true, secretName: true },
  },
  GatewayClass: { controllerName: true, parametersRef: true, description: true },
  Gateway: {
    gatewayClassName: true,
    addresses: { type: true, value: true },
    infrastructure: { parametersRef: true },
    tls: { backend: { clientCertificateRef: objectRef }, frontend: { default: { validation: true }, perPort: { port: true, tls: { validation: true } } } },
    listeners: {
      name: true,
      hostname: true,
      port: true,
      protocol: true,
      tls: { mode: true, certificateRefs: objectRef },
      allowedRoutes: { namespaces: { from: true, selector: true }, kinds: { group: true, kind: true } },
    },
  },
  HTTPRoute: {
    parentRefs: { ...objectRef, sectionName: true, port: true },
    hostnames: true,
    rules: {
      name: true,
      matches: { path: { type: true, value: true }, headers: nameValueMatch, queryParams: nameValueMatch, method: true },
      filters: routeFilter,
      backendRefs: { ...backendRef, weight: true, filters: routeFilter },
      timeouts: { request: true, backendRequest: true },
      retry: { codes: true, attempts: true, backoff: true },
      sessionPersistence,
    },
  },
  GRPCRoute: {
    parentRefs: { ...objectRef, sectionName: true, port: true },
    hostnames: true,
    rules: {
      name: true,
      matches: { method: { type: true, service: true, method: true }, headers: nameValueMatch },
      filters: routeFilter,
      backendRefs: { ...backendRef, weight: true, filters: routeFilter },
      sessionPersistence,
    },
  },
  TLSRoute: {
    parentRefs: { ...objectRef, sectionName: true, port: true },
    hostnames: true,
    rules: { name: true, backendRefs: { ...backendRef, weight: true } },
  },
  TCPRoute: {
    parentRefs: { ...objectRef, sectionName: true, port: true },
    rules: { name: true, backendRefs: { ...backendRef, weight: true } },
  },
  BackendTrafficPolicy: {
    targetRefs: { group: true, kind: true, name: true, sectionName: true },
    loadBalancer: {
      type: true,
      leastRequest: { choiceCount: true },
      consistentHash: { type: true, header: { name: true }, cookie: { name: true, ttl: true, path: true }, queryParam: { name: true }, tableSize: true },
      slowStart: { window: true },
    },
    sessionPersistence,
    healthCheck: {
      active: {
        type: true,
        http: { path: true, method: true, hostname: true, expectedStatuses: { start: true, end: true } },
        interval: true,
        timeout: true,
        healthyThreshold: true,
        unhealthyThreshold: true,
        initialJitter: true,
      },
      passive: { consecutive5xx: true, consecutiveGatewayErrors: true, interval: true, baseEjectionTime: true, maxEjectionTime: true, maxEjectionPercent: true },
      panicThreshold: true,
    },
    circuitBreaker: { maxConnections: true, maxPendingRequests: true, maxParallelRequests: true, maxParallelRetries: true },
    retry: {
      numRetries: true,
      perTryTimeout: true,
      retryOn: true,
      retriableStatusCodes: true,
      backoff: { baseInterval: true, maxInterval: true },
      budget: { percent: true, minRetryConcurrency: true },
    },
    timeouts: { connect: true, request: true, idle: true },
    proxyProtocol: { version: true },
  },
  RoutePolicy: {
    targetRefs: { group: true, kind: true, name: true, sectionName: true },
    rateLimit: {
      type: true,
      rules: { clientSelectors: { sourceCIDR: true, headers: { name: true, type: true, value: true } }, limit: { requests: true, unit: true }, burst: true },
    },
    compression: { types: true, minLength: true, contentTypes: true },
    cors: { allowOrigins: true, allowMethods: true, allowHeaders: true, exposeHeaders: true, maxAge: true, allowCredentials: true },
    ipAccess: { allow: true, deny: true },
    basicAuth: { secretRef: { name: true }, realm: true },
    forwardAuth: {
      backendRef: { group: true, kind: true, name: true, port: true },
      path: true,
      headersToBackend: true,
      headersToUpstream: true,
      timeout: true,
      failOpen: true,
    },
    coalescing: { enabled: true, maxWaiters: true, timeout: true },
    cache: { enabled: true, maxSize: true, maxObjectSize: true, defaultTTL: true },
  },
};

function walk(value: unknown, fields: Fields, path: string, out: string[]): void {
  if (Array.isArray(value)) {
    value.forEach((item, i) => walk(item, fields, `${path}[${i}]`, out));
    return;
  }
  if (value === null || typeof value !== 'object') return;
  for (const [name, child] of Object.entries(value)) {
    const known = fields[name];
    if (known === undefined) out.push(`${path}.${name}`);
    else if (known !== true) walk(child, known, `${path}.${name}`, out);
  }
}

/** Paths of the fields in `obj.spec` that Sluice does not implement ("spec.rules[0].retry"). */
export function unimplementedFields(obj: KubeObject & { readonly spec?: unknown }): string[] {
  const fields = SPECS[obj.kind];
  if (!fields) return [];
  const out: string[] = [];
  walk(obj.spec, fields, 'spec', out);
  return out;
}

/** Every field path Sluice reads in `spec` of a kind ("loadBalancer.consistentHash.tableSize"), for tests against the CRDs. */
export function implementedFieldPaths(kind: string): string[] {
  const out: string[] = [];
  const visit = (fields: Fields, prefix: string) => {
    for (const [name, child] of Object.entries(fields)) {
      out.push(`${prefix}${name}`);
      if (child !== true) visit(child, `${prefix}${name}.`);
    }
  };
  visit(SPECS[kind] ?? {}, '');
  return out;
}

/**
 * Annotation prefixes of other ingress controllers: on an Ingress Sluice serves they configure
 * nothing, which a user moving from that controller must be told.
 */
const FOREIGN_ANNOTATIONS = ['nginx.ingress.kubernetes.io/', 'nginx.org/', 'ingress.kubernetes.io/', 'haproxy.org/', 'haproxy.router.openshift.io/', 'traefik.ingress.kubernetes.io/', 'alb.ingress.kubernetes.io/', 'konghq.com/', 'projectcontour.io/'];

/** What to use instead, for the annotations users reach for most. */
const INSTEAD: readonly (readonly [RegExp, string])[] = [
  [/ssl-passthrough/, `use the annotation ${SSL_PASSTHROUGH_ANNOTATION}: "true", or a Gateway TLS listener (tls.mode Passthrough) with a TLSRoute`],
  [/affinity|session-cookie|sticky/, 'use a BackendTrafficPolicy sessionPersistence'],
  [/load-balance|upstream-hash-by|balance/, 'use a BackendTrafficPolicy loadBalancer'],
  [/next-upstream|retr/, 'use a BackendTrafficPolicy retry'],
  [/timeout/, 'use a BackendTrafficPolicy timeouts'],
  [/health|check|max-fails|fail-timeout/, 'use a BackendTrafficPolicy healthCheck'],
];

/** Annotations of other ingress controllers on an object, with what to use instead. */
export function foreignAnnotations(obj: KubeObject): { readonly name: string; readonly instead: string }[] {
  const out: { name: string; instead: string }[] = [];
  for (const name of Object.keys(obj.metadata.annotations ?? {}).sort()) {
    if (!FOREIGN_ANNOTATIONS.some((p) => name.startsWith(p))) continue;
    out.push({ name, instead: INSTEAD.find(([re]) => re.test(name))?.[1] ?? '' });
  }
  return out;
}

/** Sluice's own Ingress annotations; any other sluice.dev/ one is a typo or from a newer version. */
const OWN_ANNOTATIONS = new Set([SSL_PASSTHROUGH_ANNOTATION]);

function unknownOwnAnnotations(obj: KubeObject): string[] {
  return Object.keys(obj.metadata.annotations ?? {}).filter((name) => name.startsWith('sluice.dev/') && !OWN_ANNOTATIONS.has(name)).sort();
}

/** One warning per unimplemented field (and, on an Ingress, per foreign annotation) of an object Sluice serves. */
export function reportUnimplemented(obj: KubeObject & { readonly spec?: unknown }, diagnostics: Diagnostics): void {
  for (const field of unimplementedFields(obj)) diagnostics.warning(sourceOf(obj), 'FieldNotImplemented', field);
  if (obj.kind !== 'Ingress') return;
  for (const a of foreignAnnotations(obj)) diagnostics.warning(sourceOf(obj), 'AnnotationNotImplemented', a.name, a.instead);
  for (const name of unknownOwnAnnotations(obj)) diagnostics.warning(sourceOf(obj), 'AnnotationUnknown', name, [...OWN_ANNOTATIONS].join(', '));
}
