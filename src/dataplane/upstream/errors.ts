// What an upstream failure means: its kind (for metrics, the 502/504 choice and the retry
// reason) and whether the endpoint was never reached (any request may go elsewhere, and the
// endpoint is ejected).

export type ErrorKind = 'connect' | 'timeout' | 'protocol' | 'reset';

type CodedError = Error & { code?: string };

const KINDS: Readonly<Record<string, ErrorKind>> = {
  UND_ERR_CONNECT_TIMEOUT: 'timeout',
  UND_ERR_HEADERS_TIMEOUT: 'timeout',
  UND_ERR_BODY_TIMEOUT: 'timeout',
  ETIMEDOUT: 'timeout',
  ECONNREFUSED: 'connect',
  EHOSTUNREACH: 'connect',
  ENETUNREACH: 'connect',
  UND_ERR_CONNECT: 'connect',
  ECONNRESET: 'reset',
  EPIPE: 'reset',
  UND_ERR_SOCKET: 'reset',
  UND_ERR_CLOSED: 'reset',
};

const NEVER_REACHED = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

export function classify(err: CodedError): ErrorKind {
  return (err.code !== undefined && KINDS[err.code]) || 'protocol';
}

/** The endpoint was never reached: safe to retry any request, and a reason to eject it. */
export function neverReached(err: CodedError): boolean {
  return err.code !== undefined && NEVER_REACHED.has(err.code);
}
