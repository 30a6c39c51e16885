// L4 end-to-end support: TCP echo backends and the Service + EndpointSlices that point at them.
import { createServer, type Server } from 'node:net';

/** A TCP backend: greets with its name, echoes, and on the client's FIN sends a summary and ends. */
export function echoServer(name: string): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer({ allowHalfOpen: true }, (s) => {
      let bytes = 0;
      s.write(`${name}\n`);
      s.on('data', (d: Buffer) => {
        bytes += d.length;
        s.write(d);
      });
      s.on('end', () => s.end(`${name} got ${bytes} bytes, bye\n`));
      s.on('error', () => undefined);
    });
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port }));
  });
}

export function tcpService(namespace: string, name: string, ports: readonly number[]): string {
  return [
    `apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: ${namespace} }
spec: { ports: [{ name: tcp, port: 9000 }] }`,
    ...ports.map((port, i) => `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: ${name}-${i}, namespace: ${namespace}, labels: { kubernetes.io/service-name: ${name} } }
addressType: IPv4
ports: [{ name: tcp, port: ${port} }]
endpoints: [{ addresses: ["127.0.0.1"], conditions: { ready: true } }]`),
  ].join('\n---\n');
}

