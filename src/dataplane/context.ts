// What the request path reads from the data plane: the current table and clusters, pools,
// health, timeouts, metrics and the edge settings. One object per data plane, built once.
import type { IncomingMessage } from 'node:http';
import type { UpstreamTimeouts } from '../config/config.js';
import type { Metrics } from '../metrics.js';
import type { AccessLog } from './access-log/access-log.js';
import type { TrafficStats } from './stats/traffic.js';
import type { RequestTracing } from './tracing/tracing.js';
import type { ClusterRuntime } from './clusters.js';
import type { CompiledTable } from './compiled.js';
import type { ClientTrust } from './edge/client-identity.js';
import type { PathOptions } from './edge/normalize-path.js';
import type { EndpointHealth } from './health/health.js';
import type { UpstreamPools } from './upstream/pools.js';
import type { UpstreamTlsProfiles } from './upstream/tls.js';
import type { AdmissionServices } from './route-policy/services.js';

export interface ProxyContext {
  table(): CompiledTable | undefined;
  cluster(id: string): ClusterRuntime | undefined;
  readonly pools: UpstreamPools;
  /** TLS profiles to backends (BackendTLSPolicy), shared by clusters with the same TLS. */
  readonly upstreamTls: UpstreamTlsProfiles;
  readonly timeouts: UpstreamTimeouts;
  readonly metrics: Metrics;
  /** The rolling minute of traffic the live stats page shows. */
  readonly stats: TrafficStats;
  /** Undefined when --access-log is off. */
  readonly accessLog: AccessLog | undefined;
  /** Undefined when --otlp-endpoint is unset. */
  readonly tracing: RequestTracing | undefined;
  readonly health: EndpointHealth;
  /** True once shutdown began: responses carry `Connection: close` so clients move on. */
  draining(): boolean;
  readonly edge: EdgeSettings;
  /** What route-policy admission checks share (Redis, Local buckets); absent: one process, no Redis. */
  readonly admission?: AdmissionServices;
}

/** How requests are read at the edge (from --trusted-proxies, --merge-slashes, ...). */
export interface EdgeSettings {
  readonly paths: PathOptions;
  /** Undefined when no proxy is trusted: the peer is always the client. */
  readonly trust: ClientTrust | undefined;
  /** Largest request body in bytes; 0 = unlimited. */
  readonly maxRequestBodyBytes: number;
  /** The PROXY protocol source of a connection, when its listener reads one. */
  proxiedPeer(req: IncomingMessage): string | undefined;
}

export interface ListenerSocketInfo {
  /** Key of the listener this socket serves (see listenerKey). */
  readonly key: string;
  readonly proto: 'http' | 'https';
}
