// spec.proxyProtocol → the cluster's PROXY protocol version for L4 connections. The version
// is required: a header the endpoint does not expect breaks every connection, so nothing is
// assumed.
import type { ClusterPolicy } from '../../table/types.js';
import type { Fields } from './fields.js';

const VERSIONS = { V1: 1, V2: 2 } as const;

export function readProxyProtocol(value: unknown, f: Fields): ClusterPolicy['proxyProtocol'] {
  const spec = f.object(value, 'proxyProtocol');
  if (!spec) return undefined;
  const version = spec['version'];
  if (typeof version !== 'string' || !Object.hasOwn(VERSIONS, version)) {
    f.at('proxyProtocol').problem('version', `must be V1 or V2, not ${JSON.stringify(version ?? null)}`);
    return undefined;
  }
  return { version: VERSIONS[version as keyof typeof VERSIONS] };
}
