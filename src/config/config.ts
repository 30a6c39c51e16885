// The typed configuration every other module receives. Built only by parseConfig (cli.ts), which
// validates at the edge, so nothing downstream re-checks a value.

import type { AccessLogField } from '../dataplane/access-log/fields.js';

export type ProviderName = 'kubernetes' | 'file';
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

export interface UpstreamTimeouts {
  /** Milliseconds to establish a TCP connection. */
  readonly connectMs: number;
  /** Milliseconds from request sent to response headers. */
  readonly responseMs: number;
  /** Milliseconds of silence allowed while a body streams. */
  readonly idleMs: number;
}

/** How the data plane treats what clients say about themselves and their requests. */
export interface EdgeConfig {
  /** CIDRs of proxies in front of Sluice whose forwarding headers are believed. */
  readonly trustedProxies: readonly string[];
  /** With a trusted peer: the client is the N-th X-Forwarded-For entry from the right (0: right-most untrusted). */
  readonly trustedHops: number;
  /** Every data-plane connection starts with a PROXY protocol header (v1 or v2). */
  readonly proxyProtocol: boolean;
  /** Milliseconds a client has to send a complete request head (408 after). */
  readonly headerTimeoutMs: number;
  /** Milliseconds a client has to complete a TLS handshake. */
  readonly tlsHandshakeTimeoutMs: number;
  /** Largest request body in bytes (413 above); 0 means unlimited. */
  readonly maxRequestBodyBytes: number;
  /** Merge repeated slashes in request paths. */
  readonly mergeSlashes: boolean;
  /** Paths containing %2F or %5C: kept encoded, or answered 400. */
  readonly escapedSlashes: 'keep' | 'reject';
  /** Refuse TLS handshakes whose SNI matches no certificate. */
  readonly rejectUnknownSni: boolean;
}

/** HTTP/2 towards clients (--http2, --http2-cleartext, --http2-max-concurrent-streams). */
export interface Http2Config {
  /** HTTPS listeners negotiate h2 by ALPN (else HTTP/1.1 only). */
  readonly tls: boolean;
  /** HTTP listeners accept cleartext h2 too: prior knowledge and Upgrade: h2c. */
  readonly cleartext: boolean;
  /** Streams one client connection may have open at once (SETTINGS_MAX_CONCURRENT_STREAMS). */
  readonly maxConcurrentStreams: number;
}

/** --access-log*: where lines go, which fields they carry, and the fraction of requests logged. */
export interface AccessLogConfig {
  readonly destination: 'off' | 'stdout' | { readonly path: string };
  readonly fields: readonly AccessLogField[];
  /** 0..1: each request is logged with this probability. */
  readonly sample: number;
}

/** --otlp-endpoint, --trace-sample. */
export interface TracingConfig {
  /** Undefined: no tracing. */
  readonly otlpEndpoint: string | undefined;
  /** 0..1: the share of new traces sampled. */
  readonly sample: number;
}

export interface Config {
  readonly provider: ProviderName;
  readonly manifestsDir: string | undefined;
  readonly httpPort: number;
  readonly httpsPort: number;
  readonly adminPort: number;
  readonly bindAddress: string;
  readonly adminBindAddress: string;
  /** Answer /debug/* to non-loopback clients too. */
  readonly debugRemote: boolean;
  readonly ingressClass: string;
  readonly watchNamespace: string | undefined;
  readonly publishAddress: readonly string[];
  /** --gateway-address-pool, as given (validated); undefined = Gateways share the bind address. */
  readonly gatewayAddressPool: string | undefined;
  readonly publishService: { readonly namespace: string; readonly name: string } | undefined;
  readonly leaderElect: boolean;
  readonly lease: {
    readonly name: string;
    readonly namespace: string | undefined;
    readonly durationMs: number;
    readonly renewDeadlineMs: number;
    readonly retryPeriodMs: number;
  };
  readonly logLevel: LogLevel;
  readonly workers: number;
  /** Redis URL (redis:// or rediss://) of Global rate limits; undefined: they limit per process. */
  readonly redisUrl: string | undefined;
  readonly upstream: UpstreamTimeouts & { readonly keepAliveMs: number };
  /** TCPRoute and TLS passthrough connections silent this long (both directions) are closed. */
  readonly tcpIdleMs: number;
  readonly clientKeepAliveMs: number;
  readonly edge: EdgeConfig;
  readonly http2: Http2Config;
  /** TLS Secret served for unknown or missing SNI (undefined: a generated self-signed one). */
  readonly defaultCertificate: { readonly namespace: string; readonly name: string } | undefined;
  /** Manifest files larger than this are reported and skipped. */
  readonly maxManifestBytes: number;
  readonly drainTimeoutMs: number;
  readonly accessLog: AccessLogConfig;
  readonly tracing: TracingConfig;
  readonly debounce: { readonly holdoffMs: number; readonly maxDelayMs: number };
}

/** The controller names Sluice answers to (DESIGN.md contracts). */
export const INGRESS_CONTROLLER_NAME = 'sluice.dev/ingress-controller';
export const GATEWAY_CONTROLLER_NAME = 'sluice.dev/gateway-controller';
