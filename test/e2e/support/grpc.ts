// gRPC end-to-end support: a real @grpc/grpc-js server speaking h2c (the standard
// grpc.health.v1 health service and an echo service that reports what it received) and real
// grpc-js clients, both from the .proto files beside this module.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { join } from 'node:path';

const PROTO_DIR = join(process.cwd(), 'test', 'e2e', 'support', 'proto');

function load(file: string): grpc.GrpcObject {
  const definition = protoLoader.loadSync(join(PROTO_DIR, file), { keepCase: false, longs: Number, enums: String, defaults: true });
  return grpc.loadPackageDefinition(definition);
}

const echoPackage = (load('echo.proto')['sluice'] as grpc.GrpcObject)['echo'] as grpc.GrpcObject;
const healthPackage = ((load('health.proto')['grpc'] as grpc.GrpcObject)['health'] as grpc.GrpcObject)['v1'] as grpc.GrpcObject;
const EchoService = echoPackage['Echo'] as grpc.ServiceClientConstructor;
const HealthService = healthPackage['Health'] as grpc.ServiceClientConstructor;

export interface EchoReply {
  readonly message: string;
  readonly backend: string;
  readonly metadata: string[];
  readonly index: number;
}

interface EchoRequest {
  readonly message: string;
  readonly count?: number;
  readonly delayMs?: number;
}

function metadataLines(md: grpc.Metadata): string[] {
  return Object.entries(md.getMap()).map(([k, v]) => `${k}: ${String(v)}`);
}

export interface GrpcBackend {
  readonly port: number;
  /** Calls that reached the backend, by method ("Unary", "ServerStream", ...). */
  readonly calls: Map<string, number>;
  stop(): Promise<void>;
}

/**
 * A grpc-js server on `address` (a free port): grpc.health.v1.Health (SERVING) and
 * sluice.echo.Echo; h2c, or TLS (h2 by ALPN) with the key pair `tls`. The integration tests bind
 * it to a pod-like 10.77.x.y address, since an EndpointSlice cannot name loopback.
 */
export async function startGrpcBackend(name: string, tls?: { readonly cert: string; readonly key: string }, address = '127.0.0.1'): Promise<GrpcBackend> {
  const server = new grpc.Server();
  const calls = new Map<string, number>();
  const count = (method: string) => calls.set(method, (calls.get(method) ?? 0) + 1);
  server.addService(EchoService.service, {
    Unary: (call: grpc.ServerUnaryCall<EchoRequest, EchoReply>, cb: grpc.sendUnaryData<EchoReply>) => {
      count('Unary');
      call.sendMetadata(new grpc.Metadata());
      const reply = { message: call.request.message, backend: name, metadata: metadataLines(call.metadata), index: 0 };
      setTimeout(() => cb(null, reply), call.request.delayMs ?? 0);
    },
    ServerStream: (call: grpc.ServerWritableStream<EchoRequest, EchoReply>) => {
      count('ServerStream');
      const n = call.request.count ?? 1;
      let i = 0;
      const next = () => {
        if (call.cancelled) return;
        if (i === n) return call.end();
        call.write({ message: `${call.request.message} ${i}`, backend: name, metadata: [], index: i });
        i++;
        setTimeout(next, call.request.delayMs ?? 0);
      };
      next();
    },
    Fail: (call: grpc.ServerUnaryCall<{ code: number; message: string }, EchoReply>, cb: grpc.sendUnaryData<EchoReply>) => {
      count('Fail');
      const trailer = new grpc.Metadata();
      trailer.set('x-fail-detail', 'from-backend');
      cb({ code: call.request.code, details: call.request.message, metadata: trailer });
    },
  });
  server.addService(HealthService.service, {
    Check: (_call: grpc.ServerUnaryCall<{ service: string }, { status: string }>, cb: grpc.sendUnaryData<{ status: string }>) => {
      count('Check');
      cb(null, { status: 'SERVING' });
    },
    Watch: (call: grpc.ServerWritableStream<{ service: string }, { status: string }>) => {
      count('Watch');
      call.write({ status: 'SERVING' });
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(
      `${address}:0`,
      tls ? grpc.ServerCredentials.createSsl(null, [{ cert_chain: Buffer.from(tls.cert), private_key: Buffer.from(tls.key) }]) : grpc.ServerCredentials.createInsecure(),
      (err, p) => (err ? reject(err) : resolve(p)),
    ),
  );
  return {
    port,
    calls,
    stop: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}

export type EchoClient = grpc.Client & {
  Unary(req: EchoRequest, md: grpc.Metadata, options: grpc.CallOptions, cb: (err: grpc.ServiceError | null, reply?: EchoReply) => void): grpc.ClientUnaryCall;
  ServerStream(req: EchoRequest, md: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<EchoReply>;
  Fail(req: { code: number; message: string }, md: grpc.Metadata, options: grpc.CallOptions, cb: (err: grpc.ServiceError | null, reply?: EchoReply) => void): grpc.ClientUnaryCall;
};

export type HealthClient = grpc.Client & {
  Check(req: { service: string }, md: grpc.Metadata, options: grpc.CallOptions, cb: (err: grpc.ServiceError | null, reply?: { status: string }) => void): grpc.ClientUnaryCall;
};

export interface ClientOptions {
  /** The :authority the client sends (routing host). */
  readonly authority: string;
  /** TLS: the CA that signed the server's certificate (PEM); absent: h2c. */
  readonly ca?: Buffer;
}

function clientArgs(port: number, o: ClientOptions): [string, grpc.ChannelCredentials, grpc.ChannelOptions] {
  const credentials = o.ca ? grpc.credentials.createSsl(o.ca) : grpc.credentials.createInsecure();
  const options: grpc.ChannelOptions = { 'grpc.default_authority': o.authority, ...(o.ca ? { 'grpc.ssl_target_name_override': o.authority.split(':')[0]! } : {}) };
  return [`127.0.0.1:${port}`, credentials, options];
}

export function echoClient(port: number, o: ClientOptions): EchoClient {
  return new EchoService(...clientArgs(port, o)) as unknown as EchoClient;
}

export function healthClient(port: number, o: ClientOptions): HealthClient {
  return new HealthService(...clientArgs(port, o)) as unknown as HealthClient;
}

export interface UnaryOutcome<T> {
  readonly reply?: T;
  readonly error?: grpc.ServiceError;
  /** Response headers, then trailers. */
  readonly headers: grpc.Metadata | undefined;
  readonly trailers: grpc.Metadata | undefined;
}

/** One unary call; resolves with its reply or its error, and the metadata either carried. */
export function unary<T>(start: (md: grpc.Metadata, options: grpc.CallOptions, cb: (err: grpc.ServiceError | null, reply?: T) => void) => grpc.ClientUnaryCall, metadata: Record<string, string> = {}): Promise<UnaryOutcome<T>> {
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(metadata)) md.set(k, v);
  return new Promise((resolve) => {
    let headers: grpc.Metadata | undefined;
    let trailers: grpc.Metadata | undefined;
    let result: { reply?: T; error?: grpc.ServiceError } | undefined;
    let statusSeen = false;
    const done = () => {
      if (result && statusSeen) resolve({ ...result, headers, trailers });
    };
    const call = start(md, { deadline: Date.now() + 10_000 }, (err, reply) => {
      result = err ? { error: err } : { reply: reply as T };
      done();
    });
    call.on('metadata', (m: grpc.Metadata) => (headers = m));
    call.on('status', (s: grpc.StatusObject) => {
      trailers = s.metadata;
      statusSeen = true;
      done();
    });
  });
}

export { grpc };
