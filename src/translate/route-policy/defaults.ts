// The values translate fills in for fields a RoutePolicy block leaves out. A block that is absent
// stays absent (the route does not do that at the edge); a block that is present comes out
// complete, so the data plane never guesses. The CRD (crds/sluice/sluice.dev_routepolicies.yaml)
// documents the same values; keep the two in step.
import type { CompressionType } from '../../table/types.js';

export const ROUTE_POLICY_DEFAULTS = {
  rateLimit: { type: 'Local' },
  compression: {
    /** zstd is left out by default: node:zlib marks it experimental in Node 24 and few clients send it. */
    types: ['br', 'gzip'] as readonly CompressionType[],
    /** Below about 1 KiB the framing costs more than compression saves (Traefik's default too). */
    minLength: 1024,
    contentTypes: [
      'text/*',
      'application/json',
      'application/javascript',
      'application/xml',
      'application/wasm',
      'image/svg+xml',
    ] as readonly string[],
  },
  cors: {
    /** The CORS-safelisted methods. */
    allowMethods: ['GET', 'HEAD', 'POST'] as readonly string[],
    allowCredentials: false,
  },
  basicAuth: { realm: 'Restricted' },
  forwardAuth: {
    path: '/',
    headersToBackend: ['authorization', 'cookie'] as readonly string[],
    timeoutMs: 1000,
    failOpen: false,
  },
  coalescing: { maxWaiters: 1000, timeoutMs: 5000 },
  cache: { maxSizeBytes: 64 * 1024 ** 2, maxObjectSizeBytes: 1024 ** 2, defaultTtlMs: 0 },
} as const;

/** The Secret type basicAuth.secretRef must have (the only Secrets besides TLS ones Sluice reads). */
export const HTPASSWD_SECRET_TYPE = 'sluice.dev/htpasswd';
/** The key of the htpasswd file in that Secret. */
export const HTPASSWD_KEY = '.htpasswd';
