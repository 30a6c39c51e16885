// A raw JSON GET against the apiserver with the kubeconfig's credentials and TLS. Informer
// LISTs go through here rather than the generated clients: those turn timestamps into Date
// objects and back into ISO strings with milliseconds, so a listed object would not be
// byte-equal to the same object arriving on the watch stream (plain JSON from the apiserver).
import { HttpMethod, RequestContext, type KubeConfig } from '@kubernetes/client-node';
import { fetch } from 'undici';
import { KubeRequestError } from './api-error.js';

export interface JsonList {
  readonly metadata?: { readonly resourceVersion?: string };
  readonly items?: readonly unknown[];
}

export async function getJson<T>(kc: KubeConfig, path: string, query: Readonly<Record<string, string | undefined>>, timeoutMs: number): Promise<T> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new KubeRequestError('get', path, 0, 'the kubeconfig has no current cluster');
  const url = new URL(cluster.server + path);
  for (const [key, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(key, value);
  const ctx = new RequestContext(url.toString(), HttpMethod.GET);
  await kc.applySecurityAuthentication(ctx);
  const headers = ctx.getHeaders() as Record<string, string>;
  const dispatcher = ctx.getDispatcher();
  const res = await fetch(url, {
    method: 'GET',
    headers: { ...headers, accept: 'application/json' },
    signal: AbortSignal.timeout(timeoutMs),
    ...(dispatcher ? { dispatcher } : {}),
  });
  const text = await res.text();
  if (res.status !== 200) {
    let reason = res.statusText || `HTTP ${res.status}`;
    try {
      const message = (JSON.parse(text) as { message?: unknown }).message;
      if (typeof message === 'string') reason = message;
    } catch {
      // not a Status object; keep the status text
    }
    throw new KubeRequestError('list', path, res.status, reason);
  }
  return JSON.parse(text) as T;
}
