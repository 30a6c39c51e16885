// Raw JSON requests against the apiserver with the kubeconfig's credentials and TLS. Informer
// LISTs, discovery and every status write go through here rather than the generated clients:
// those turn timestamps into Date objects and back into ISO strings with milliseconds,
// so a listed object would not be byte-equal to the same object arriving on the watch stream
// (plain JSON from the apiserver), and a status we read would not compare equal to what we write.
import { HttpMethod, RequestContext, type KubeConfig } from '@kubernetes/client-node';
import { fetch } from 'undici';
import { KubeRequestError } from './api-error.js';

export interface JsonList {
  readonly metadata?: { readonly resourceVersion?: string };
  readonly items?: readonly unknown[];
}

type Verb = 'get' | 'list' | 'update';

const METHODS: Record<Verb, { method: 'GET' | 'PUT'; context: HttpMethod }> = {
  get: { method: 'GET', context: HttpMethod.GET },
  list: { method: 'GET', context: HttpMethod.GET },
  update: { method: 'PUT', context: HttpMethod.PUT },
};

/** 429 answers retried here (as client-go's REST client does), each after Retry-After (capped). */
const TOO_MANY_REQUESTS_RETRIES = 3;
const MAX_RETRY_AFTER_MS = 5000;

/** How long a 429 asks us to wait: its Retry-After seconds, else 1 s; capped. */
export function retryAfterMs(header: string | null): number {
  const seconds = Number(header);
  return Math.min(MAX_RETRY_AFTER_MS, Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 1000);
}

/**
 * One request; resolves to the parsed body of a 2xx answer, else rejects with KubeRequestError.
 * A 429 ("storage is (re)initializing", priority and fairness) is the apiserver asking to come
 * back shortly, not a failure: retried a few times before it is reported.
 */
export async function requestJson<T>(
  kc: KubeConfig,
  verb: Verb,
  path: string,
  options: { readonly query?: Readonly<Record<string, string | undefined>>; readonly body?: unknown; readonly timeoutMs: number },
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await requestOnce<T>(kc, verb, path, options);
    } catch (err) {
      if (!(err instanceof TooManyRequests) || attempt >= TOO_MANY_REQUESTS_RETRIES) throw err instanceof TooManyRequests ? err.error : err;
      await new Promise((resolve) => setTimeout(resolve, err.waitMs));
    }
  }
}

class TooManyRequests extends Error {
  readonly error: KubeRequestError;
  readonly waitMs: number;
  constructor(error: KubeRequestError, waitMs: number) {
    super(error.message);
    this.error = error;
    this.waitMs = waitMs;
  }
}

async function requestOnce<T>(
  kc: KubeConfig,
  verb: Verb,
  path: string,
  options: { readonly query?: Readonly<Record<string, string | undefined>>; readonly body?: unknown; readonly timeoutMs: number },
): Promise<T> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new KubeRequestError(verb, path, 0, 'the kubeconfig has no current cluster');
  const url = new URL(cluster.server + path);
  for (const [key, value] of Object.entries(options.query ?? {})) if (value !== undefined) url.searchParams.set(key, value);
  const { method, context } = METHODS[verb];
  const ctx = new RequestContext(url.toString(), context);
  await kc.applySecurityAuthentication(ctx);
  const headers = ctx.getHeaders() as Record<string, string>;
  const dispatcher = ctx.getDispatcher();
  const res = await fetch(url, {
    method,
    headers: { ...headers, accept: 'application/json', ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    signal: AbortSignal.timeout(options.timeoutMs),
    ...(dispatcher ? { dispatcher } : {}),
  });
  const text = await res.text();
  if (res.status < 200 || res.status > 299) {
    let reason = res.statusText || `HTTP ${res.status}`;
    try {
      const message = (JSON.parse(text) as { message?: unknown }).message;
      if (typeof message === 'string') reason = message;
    } catch {
      // not a Status object; keep the status text
    }
    const error = new KubeRequestError(verb, path, res.status, reason);
    throw res.status === 429 ? new TooManyRequests(error, retryAfterMs(res.headers.get('retry-after'))) : error;
  }
  return JSON.parse(text) as T;
}

/** A LIST (or any GET) as plain JSON. */
export function getJson<T>(kc: KubeConfig, path: string, query: Readonly<Record<string, string | undefined>>, timeoutMs: number): Promise<T> {
  return requestJson<T>(kc, 'list', path, { query, timeoutMs });
}
