// Who this replica is and where its Lease lives, from the pod's environment (downward API).
import { hostname } from 'node:os';

/** POD_NAME when running in a pod, else hostname_pid: unique among replicas. */
export function defaultIdentity(env: NodeJS.ProcessEnv = process.env): string {
  return env['POD_NAME'] || `${hostname()}_${process.pid}`;
}

/** --lease-namespace, else the pod's namespace (POD_NAMESPACE), else "default". */
export function leaseNamespace(configured: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return configured || env['POD_NAMESPACE'] || 'default';
}
