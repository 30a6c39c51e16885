// Who may read /debug/*: it shows every host, route, endpoint IP and Secret name, so by default
// only clients on the machine itself (a loopback peer) get an answer; --debug-remote opens it to
// whoever reaches the admin port. The check is a hook on the encapsulated /debug plugin, so every
// route registered there (and its not-found answer) is gated, however the path is spelled.
import type { FastifyReply, FastifyRequest } from 'fastify';

const DENIED_BODY = '/debug/* is answered only to loopback clients; start sluice with --debug-remote to allow others\n';

/** 127.0.0.0/8, ::1, and IPv4-mapped 127.x (a dual-stack socket's view of an IPv4 loopback peer). */
export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

/** onRequest hook for the /debug plugin: 403 with a short how-to unless the peer may look. */
export function debugAccessHook(allowRemote: boolean) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    if (allowRemote || isLoopback(request.socket.remoteAddress)) return undefined;
    // Returning the reply tells fastify the answer is sent: the route handler does not run.
    return reply.code(403).type('text/plain').send(DENIED_BODY);
  };
}
