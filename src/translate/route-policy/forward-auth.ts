// spec.forwardAuth → ForwardAuthPolicy: the auth Service port (a cluster of the table, so its
// endpoints, health and pools are the data plane's usual ones), the path asked, the headers
// passed each way. A security block: when it is invalid (no such Service or port) the routes it
// targets deny every request (route-policy.ts).
import type { Service } from '../../api/core.js';
import type { ForwardAuthPolicy } from '../../table/types.js';
import type { ServiceRef } from '../clusters.js';
import type { Fields } from '../policy/fields.js';
import { headerNameProblem } from '../policy/names.js';
import { ROUTE_POLICY_DEFAULTS } from './defaults.js';

export const MAX_AUTH_HEADERS = 32;
/** An auth answer slower than this is a broken auth service, not a slow one. */
export const MAX_AUTH_TIMEOUT_MS = 60_000;
const PATH = /^\/[^\s?#\x00-\x1f\x7f]*$/;

/** The policy with its auth Service port, resolved to a cluster once the whole block is valid (spec.ts). */
export type ForwardAuthReading = Omit<ForwardAuthPolicy, 'cluster'> & { readonly backend: ServiceRef };

export function readForwardAuth(value: unknown, f: Fields, namespace: string, services: ReadonlyMap<string, Service>): ForwardAuthReading | undefined {
  const spec = f.object(value, 'forwardAuth');
  if (!spec) return undefined;
  const a = f.at('forwardAuth');
  const path = a.string(spec['path'], 'path', (s) => (PATH.test(s) && s.length <= 1024 ? undefined : 'must be an absolute path of at most 1024 characters, without query, fragment or spaces')) ?? ROUTE_POLICY_DEFAULTS.forwardAuth.path;
  const headers = (name: string): string[] | undefined => {
    const list = a.list(spec[name], name, MAX_AUTH_HEADERS);
    if (!list) return undefined;
    const out: string[] = [];
    list.forEach((v, i) => {
      const h = a.string(v, `${name}[${i}]`, headerNameProblem)?.toLowerCase();
      if (h !== undefined && !out.includes(h)) out.push(h);
    });
    return out;
  };
  const headersToBackend = headers('headersToBackend') ?? [...ROUTE_POLICY_DEFAULTS.forwardAuth.headersToBackend];
  const headersToUpstream = headers('headersToUpstream') ?? [];
  const timeoutMs = a.duration(spec['timeout'], 'timeout') ?? ROUTE_POLICY_DEFAULTS.forwardAuth.timeoutMs;
  if (timeoutMs > MAX_AUTH_TIMEOUT_MS) a.problem('timeout', `must be at most ${MAX_AUTH_TIMEOUT_MS / 1000}s`);
  const failOpen = spec['failOpen'];
  if (failOpen !== undefined && typeof failOpen !== 'boolean') a.problem('failOpen', `${JSON.stringify(failOpen)} is not true or false`);
  const backend = readBackend(a.object(spec['backendRef'], 'backendRef'), a, namespace, services);
  if (spec['backendRef'] === undefined) a.problem('backendRef', 'is required');
  if (backend === undefined) return undefined;
  return { backend, path, headersToBackend, headersToUpstream, timeoutMs, failOpen: failOpen === true };
}

/** The auth Service port, when the Service exists and has that port. */
function readBackend(ref: Readonly<Record<string, unknown>> | undefined, a: Fields, namespace: string, services: ReadonlyMap<string, Service>): ServiceRef | undefined {
  if (!ref) return undefined;
  const r = a.at('backendRef');
  if ((ref['group'] ?? '') !== '' || (ref['kind'] ?? 'Service') !== 'Service') {
    return void r.invalid(`must be a Service (group "", kind Service), not group ${JSON.stringify(ref['group'])} kind ${JSON.stringify(ref['kind'])}`);
  }
  const name = r.string(ref['name'], 'name', (s) => (s.length > 0 && s.length <= 253 ? undefined : 'must be 1 to 253 characters'));
  if (ref['name'] === undefined) r.problem('name', 'is required');
  const port = r.integer(ref['port'], 'port', 1, 65535);
  if (ref['port'] === undefined) r.problem('port', 'is required');
  if (name === undefined || port === undefined) return undefined;
  const svc = services.get(`${namespace}/${name}`);
  if (!svc) return void r.invalid(`Service ${namespace}/${name} does not exist`);
  if (svc.spec?.type === 'ExternalName') return void r.invalid(`Service ${namespace}/${name} is an ExternalName Service, which has no endpoints`);
  if (!(svc.spec?.ports ?? []).some((p) => p.port === port)) return void r.invalid(`Service ${namespace}/${name} has no port ${port}`);
  return { namespace, name, port };
}
