// Errors from talking to the apiserver, reduced to what a log line and a retry decision need:
// the HTTP status (if there was a response) and a short reason. The client library reports
// failures in several shapes (ApiException, a watch Error with statusCode, fetch's TypeError
// with a cause, our own KubeRequestError); this is the one place that knows them.

/** A failed request of our own REST helper (rest.ts). */
export class KubeRequestError extends Error {
  readonly status: number;
  readonly verb: string;
  readonly path: string;
  /** The apiserver's own words (the Status message), without our prefix. */
  readonly reason: string;
  constructor(verb: string, path: string, status: number, reason: string) {
    super(`${verb} ${path}: ${status} ${reason}`);
    this.name = 'KubeRequestError';
    this.status = status;
    this.reason = reason;
    this.verb = verb;
    this.path = path;
  }
}

export interface ApiErrorSummary {
  /** HTTP status of the apiserver's answer; undefined when there was no answer. */
  readonly status: number | undefined;
  readonly reason: string;
}

function field(obj: unknown, key: string): unknown {
  return typeof obj === 'object' && obj !== null ? (obj as Record<string, unknown>)[key] : undefined;
}

/** The `message` of a Kubernetes Status body, given as an object or as JSON text. */
function statusMessage(body: unknown): string | undefined {
  let parsed = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return body.length > 0 ? body.slice(0, 300) : undefined;
    }
  }
  const message = field(parsed, 'message');
  return typeof message === 'string' ? message : undefined;
}

export function summarizeApiError(err: unknown): ApiErrorSummary {
  if (err instanceof KubeRequestError) return { status: err.status, reason: err.reason };
  // ApiException of the generated client: { code, body }.
  const code = field(err, 'code');
  if (typeof code === 'number') {
    return { status: code, reason: statusMessage(field(err, 'body')) ?? `HTTP ${code}` };
  }
  // Watch failures: Error(statusText) with statusCode.
  const statusCode = field(err, 'statusCode');
  if (typeof statusCode === 'number') {
    return { status: statusCode, reason: err instanceof Error ? err.message : `HTTP ${statusCode}` };
  }
  // fetch failures carry the socket error as `cause` (ECONNREFUSED, ECONNRESET, ...).
  const cause = field(err, 'cause');
  const causeCode = field(cause, 'code');
  const causeMessage = field(cause, 'message');
  if (typeof causeCode === 'string' || typeof causeMessage === 'string') {
    return { status: undefined, reason: [causeCode, causeMessage].filter((s) => typeof s === 'string').join(': ') };
  }
  if (err instanceof Error) return { status: undefined, reason: `${err.name}: ${err.message}` };
  return { status: undefined, reason: String(err) };
}

export function isConflict(err: unknown): boolean {
  return summarizeApiError(err).status === 409;
}

export function isNotFound(err: unknown): boolean {
  return summarizeApiError(err).status === 404;
}

/** Rejects after `ms` if the promise has not settled: bounds every call to the apiserver. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The catalog entry for a failed apiserver call, by status: 403, 401, no answer, other. */
export function apiErrorName(summary: ApiErrorSummary): 'K8sForbidden' | 'K8sUnauthorized' | 'K8sUnreachable' | 'K8sRequestFailed' {
  if (summary.status === 403) return 'K8sForbidden';
  if (summary.status === 401) return 'K8sUnauthorized';
  if (summary.status === undefined || summary.status === 0) return 'K8sUnreachable';
  return 'K8sRequestFailed';
}
