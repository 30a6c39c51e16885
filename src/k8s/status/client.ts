// The status writer's way to the apiserver: GET and PUT of an object's /status subresource as
// plain JSON (rest.ts: the kubeconfig's credentials, 429s retried), so a status we read compares
// byte-equal to what we write. Every call is bounded.
import type { KubeConfig } from '@kubernetes/client-node';
import { requestJson } from '../rest.js';
import { statusPath } from './target.js';
import type { StatusClient, StatusObject } from './writer.js';

const CALL_TIMEOUT_MS = 10_000;

export function restStatusClient(kc: KubeConfig): StatusClient {
  return {
    read: (target) => requestJson<StatusObject>(kc, 'get', statusPath(target), { timeoutMs: CALL_TIMEOUT_MS }),
    replace: async (target, object) => {
      await requestJson(kc, 'update', statusPath(target), { body: object, timeoutMs: CALL_TIMEOUT_MS });
    },
  };
}
