// The typed configuration every other module receives. Built only by parseConfig (cli.ts), which
// validates at the edge, so nothing downstream re-checks a value.

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

export interface Config {
  readonly provider: ProviderName;
  readonly manifestsDir: string | undefined;
  readonly httpPort: number;
  readonly httpsPort: number;
  readonly adminPort: number;
  readonly bindAddress: string;
  readonly adminBindAddress: string;
  readonly ingressClass: string;
  readonly watchNamespace: string | undefined;
  readonly publishAddress: readonly string[];
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
  readonly upstream: UpstreamTimeouts & { readonly keepAliveMs: number };
  readonly clientKeepAliveMs: number;
  readonly drainTimeoutMs: number;
  readonly debounce: { readonly holdoffMs: number; readonly maxDelayMs: number };
}

/** The controller names Sluice answers to (DESIGN.md contracts). */
export const INGRESS_CONTROLLER_NAME = 'sluice.dev/ingress-controller';
export const GATEWAY_CONTROLLER_NAME = 'sluice.dev/gateway-controller';
