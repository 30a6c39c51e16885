// The one table of every command-line flag. Parsing, env variables (SLUICE_<FLAG>), --help and
// the README's flag list all come from here, so an option cannot exist in one place only.

export type OptionType = 'string' | 'port' | 'int' | 'bool' | 'duration' | 'enum' | 'bytes' | 'ratio';

export interface OptionSpec {
  readonly flag: string;
  readonly type: OptionType;
  readonly help: string;
  /** Default as it would be written on the command line; absent means "unset". */
  readonly default?: string;
  readonly values?: readonly string[];
  readonly min?: number;
}

export const OPTIONS = [
  { flag: 'provider', type: 'enum', values: ['kubernetes', 'file'], default: 'kubernetes', help: 'where routes come from' },
  { flag: 'manifests', type: 'string', help: 'directory of YAML manifests (file provider); watched for changes' },
  { flag: 'http-port', type: 'port', default: '8080', help: 'port of the plain HTTP listener (serves listener port 80)' },
  { flag: 'https-port', type: 'port', default: '8443', help: 'port of the TLS listener (serves listener port 443)' },
  { flag: 'admin-port', type: 'port', default: '9090', help: 'port of /healthz, /readyz, /metrics, /debug/*' },
  { flag: 'bind-address', type: 'string', default: '0.0.0.0', help: 'address the data-plane listeners bind' },
  { flag: 'admin-bind-address', type: 'string', help: 'address the admin server binds (default: --bind-address)' },
  { flag: 'debug-remote', type: 'bool', default: 'false', help: 'answer /debug/* on the admin port to non-loopback clients too' },
  { flag: 'ingress-class', type: 'string', default: 'sluice', help: 'IngressClass name this instance serves' },
  { flag: 'watch-namespace', type: 'string', help: 'watch only this namespace (default: all)' },
  { flag: 'publish-address', type: 'string', help: 'address written to Ingress status (comma-separated IPs or hostnames)' },
  { flag: 'gateway-address-pool', type: 'string', help: 'IPv4 CIDR; each Gateway without spec.addresses gets its own address from it (the host must route it locally)' },
  { flag: 'publish-service', type: 'string', help: 'namespace/name of the Service whose address goes to Ingress status' },
  { flag: 'leader-elect', type: 'bool', default: 'false', help: 'elect a leader through a Lease; only the leader writes status' },
  { flag: 'lease-name', type: 'string', default: 'sluice-leader', help: 'name of the leader-election Lease' },
  { flag: 'lease-namespace', type: 'string', help: 'namespace of the Lease (default: the pod namespace, else "default")' },
  { flag: 'lease-duration', type: 'duration', default: '15s', help: 'how long a lease is valid without renewal' },
  { flag: 'lease-renew-deadline', type: 'duration', default: '10s', help: 'a leader that cannot renew within this steps down' },
  { flag: 'lease-retry-period', type: 'duration', default: '2s', help: 'how often candidates try to acquire or renew' },
  { flag: 'log-level', type: 'enum', values: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], default: 'info', help: 'log verbosity' },
  { flag: 'workers', type: 'int', default: '1', min: 1, help: 'data-plane worker processes' },
  { flag: 'upstream-connect-timeout', type: 'duration', default: '5s', help: 'time to open a connection to an endpoint (502 after)' },
  { flag: 'upstream-response-timeout', type: 'duration', default: '60s', help: 'time from request sent to response headers (504 after)' },
  { flag: 'upstream-idle-timeout', type: 'duration', default: '60s', help: 'longest silence while streaming a response body' },
  { flag: 'tcp-idle-timeout', type: 'duration', default: '1h', help: 'TCPRoute and TLS passthrough connections silent this long both ways are closed' },
  { flag: 'upstream-keep-alive-timeout', type: 'duration', default: '60s', help: 'how long an idle upstream connection is kept' },
  { flag: 'client-keep-alive-timeout', type: 'duration', default: '65s', help: 'how long an idle client connection is kept' },
  { flag: 'client-header-timeout', type: 'duration', default: '60s', help: 'time a client has to send a complete request head (408 after)' },
  { flag: 'tls-handshake-timeout', type: 'duration', default: '10s', help: 'time a client has to complete the TLS handshake' },
  { flag: 'max-request-body', type: 'bytes', default: '0', help: 'largest request body accepted, e.g. 10MiB (413 above; 0 = unlimited)' },
  { flag: 'trusted-proxies', type: 'string', help: 'comma-separated CIDRs whose X-Forwarded-*, Forwarded and PROXY headers are believed' },
  { flag: 'trusted-hops', type: 'int', default: '0', help: 'with a trusted peer: client = N-th X-Forwarded-For entry from the right (0: right-most untrusted)' },
  { flag: 'proxy-protocol', type: 'bool', default: 'false', help: 'data-plane listeners expect a PROXY protocol v1/v2 header (from --trusted-proxies only)' },
  { flag: 'default-certificate', type: 'string', help: 'namespace/name of the TLS Secret served for unknown or missing SNI (default: a generated self-signed one)' },
  { flag: 'reject-unknown-sni', type: 'bool', default: 'false', help: 'refuse TLS handshakes whose SNI matches no certificate instead of serving the default one' },
  { flag: 'http2', type: 'bool', default: 'true', help: 'HTTPS listeners offer HTTP/2 (ALPN "h2", then "http/1.1")' },
  { flag: 'http2-cleartext', type: 'bool', default: 'false', help: 'HTTP listeners also accept cleartext HTTP/2, h2c (prior knowledge, and Upgrade: h2c)' },
  { flag: 'http2-max-concurrent-streams', type: 'int', default: '100', min: 1, help: 'SETTINGS_MAX_CONCURRENT_STREAMS Sluice announces to each HTTP/2 client connection' },
  { flag: 'merge-slashes', type: 'bool', default: 'true', help: 'merge repeated slashes in request paths before matching and forwarding' },
  { flag: 'escaped-slashes', type: 'enum', values: ['keep', 'reject'], default: 'keep', help: 'request paths with %2F or %5C: keep them encoded (never a segment separator) or answer 400' },
  { flag: 'max-manifest-bytes', type: 'bytes', default: '16MiB', help: 'manifest files larger than this are reported and skipped (file provider)' },
  { flag: 'drain-timeout', type: 'duration', default: '30s', help: 'on SIGTERM, how long in-flight requests may take to finish' },
  { flag: 'access-log', type: 'string', default: 'off', help: 'one JSON line per request: off, stdout, or a file path (appended to by every worker)' },
  { flag: 'access-log-fields', type: 'string', help: 'comma-separated access-log fields (default: all but query; see the README)' },
  { flag: 'access-log-sample', type: 'ratio', default: '1', help: 'fraction of requests written to the access log, 0 to 1' },
  { flag: 'otlp-endpoint', type: 'string', help: 'OTLP/HTTP collector URL traces are exported to in protobuf, e.g. http://collector:4318 (unset: no tracing; set: request metrics get trace exemplars)' },
  { flag: 'trace-sample', type: 'ratio', default: '1', help: 'fraction of new traces sampled, 0 to 1 (a client\'s sampled traceparent is always followed)' },
  { flag: 'redis-url', type: 'string', help: 'Redis (>= 6) shared by Global rate limits of every replica, e.g. redis://redis:6379/0 or rediss://user:pass@host:6380' },
  { flag: 'debounce', type: 'duration', default: '50ms', help: 'quiet period after a change before the table is rebuilt' },
  { flag: 'debounce-max', type: 'duration', default: '500ms', help: 'longest a steady stream of changes can delay a rebuild' },
] as const satisfies readonly OptionSpec[];

export type OptionFlag = (typeof OPTIONS)[number]['flag'];

export function envName(flag: string): string {
  return `SLUICE_${flag.toUpperCase().replaceAll('-', '_')}`;
}
