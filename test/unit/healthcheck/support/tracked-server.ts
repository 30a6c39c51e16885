// A real server on 127.0.0.1 for probe tests: counts and remembers its connections so close()
// can cut them (a probe's connection must not hold the test open), and names its endpoint key.
import type { AddressInfo, Server, Socket } from 'node:net';

export class TrackedServer<S extends Server = Server> {
  connections = 0;
  protected readonly server: S;
  private readonly sockets = new Set<Socket>();

  constructor(server: S) {
    this.server = server;
    server.on('connection', (s: Socket) => {
      this.connections++;
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get key(): string {
    return `127.0.0.1:${this.port}`;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
