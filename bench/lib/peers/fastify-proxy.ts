// The fastify + @fastify/http-proxy peer of the proxies bench: the library pairing the project's
// brief named, configured as a user would for a plain reverse proxy (no logger, undici pool,
// keep-alive), with the same request-header rewriting as Sluice (forwarded.ts).
// `node fastify-proxy.ts PORT UPSTREAM_PORT`: one process.
import fastify from 'fastify';
import proxy from '@fastify/http-proxy';
import { forwardedPairs, stripHopByHop } from './forwarded.ts';

const [port, upstreamPort] = process.argv.slice(2).map(Number);
const app = fastify({ logger: false, keepAliveTimeout: 60_000 });
await app.register(proxy, {
  upstream: `http://127.0.0.1:${upstreamPort}`,
  undici: { connections: 512, pipelining: 1, keepAliveTimeout: 60_000 },
  disableRequestLogging: true,
  replyOptions: {
    rewriteRequestHeaders: (req, headers) => {
      // reply-from has already dropped Connection and the names it lists; it set Host to the
      // upstream's, Sluice passes the client's.
      const xff = headers['x-forwarded-for'];
      const pairs = forwardedPairs(req.socket.remoteAddress ?? '', typeof xff === 'string' ? xff : undefined, req.headers.host ?? '', req.socket.localPort ?? 0, req.headers['x-request-id'] as string | undefined);
      const out: Record<string, string | string[] | undefined> = { ...headers, host: req.headers.host };
      for (let i = 0; i < pairs.length; i += 2) out[pairs[i]!] = pairs[i + 1];
      return out;
    },
    rewriteHeaders: (headers) => {
      stripHopByHop(headers);
      return headers;
    },
  },
});
await app.listen({ host: '127.0.0.1', port });
