// A rejection as a gRPC client gets it, written by writeRejection on a real node:http server:
// catalog answers with the gRPC status they name, answers Sluice relays (a forward-auth
// service's) by gRPC's HTTP to gRPC status mapping, headers such as WWW-Authenticate kept,
// gRPC-Web answered with its own content-type, and plain HTTP clients as before.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Answers, GrpcStatus } from '../../../../src/errors.js';
import { grpcStatusOfHttp } from '../../../../src/dataplane/grpc-answer.js';
import { type Rejection, rejection } from '../../../../src/dataplane/route-policy/check.js';
import { writeRejection } from '../../../../src/dataplane/route-policy/respond.js';

let server: Server;
let answer: Rejection;

beforeAll(async () => {
  server = createServer((req, res) => writeRejection(res, req, answer, false));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function send(r: Rejection, contentType?: string): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  answer = r;
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, method: 'POST', path: '/svc/Method', headers: contentType ? { 'content-type': contentType } : {} }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const relayed = (status: number, headers: Record<string, string | string[]>, body: string): Rejection => ({ status, headers, body, reason: 'forward-auth' });

describe('writeRejection to a gRPC call', () => {
  it('a catalog answer: HTTP 200, its gRPC status and text, its extra headers kept (WWW-Authenticate)', async () => {
    const res = await send(rejection(Answers.Unauthorized, { 'www-authenticate': 'Basic realm="rpc"' }), 'application/grpc+proto');
    expect(res.status).toBe(200);
    expect(res.headers).toMatchObject({ 'content-type': 'application/grpc', 'grpc-status': '16', 'grpc-message': 'unauthorized', 'www-authenticate': 'Basic realm="rpc"' });
    expect(res.body).toBe('');
  });

  it('a rate limit: RESOURCE_EXHAUSTED with Retry-After', async () => {
    const res = await send(rejection(Answers.RateLimited, { 'retry-after': '3' }), 'application/grpc');
    expect(res.headers).toMatchObject({ 'grpc-status': '8', 'grpc-message': 'too many requests', 'retry-after': '3' });
  });

  it("a forward-auth service's 401: UNAUTHENTICATED, its short plain-text body as the message, its headers but not its content-type", async () => {
    const res = await send(relayed(401, { 'content-type': 'text/plain', 'set-cookie': ['a=1'], 'www-authenticate': 'Bearer' }, 'token expired\n'), 'application/grpc');
    expect(res.status).toBe(200);
    expect(res.headers).toMatchObject({ 'content-type': 'application/grpc', 'grpc-status': '16', 'grpc-message': 'token expired', 'set-cookie': ['a=1'], 'www-authenticate': 'Bearer' });
  });

  it('a relayed answer with an HTML body or a status gRPC does not map: the status line as the message, UNKNOWN', async () => {
    const res = await send(relayed(302, { 'content-type': 'text/html', location: 'https://login.example.com/' }, '<html>go</html>'), 'application/grpc');
    expect(res.headers).toMatchObject({ 'grpc-status': String(GrpcStatus.UNKNOWN), 'grpc-message': '302 Found', location: 'https://login.example.com/' });
    const forbidden = await send(relayed(403, { 'content-type': 'text/html' }, '<p>no</p>'), 'application/grpc');
    expect(forbidden.headers).toMatchObject({ 'grpc-status': '7', 'grpc-message': '403 Forbidden' });
  });

  it('gRPC-Web gets its own content-type', async () => {
    expect((await send(rejection(Answers.Forbidden), 'application/grpc-web+proto')).headers).toMatchObject({ 'content-type': 'application/grpc-web', 'grpc-status': '7' });
    expect((await send(rejection(Answers.Forbidden), 'application/grpc-web-text')).headers).toMatchObject({ 'content-type': 'application/grpc-web-text', 'grpc-status': '7' });
  });

  it('a plain HTTP request still gets the HTTP answer', async () => {
    const res = await send(rejection(Answers.Unauthorized, { 'www-authenticate': 'Basic realm="rpc"' }), 'application/json');
    expect([res.status, res.body, res.headers['grpc-status'], res.headers['www-authenticate']]).toEqual([401, 'unauthorized\n', undefined, 'Basic realm="rpc"']);
  });
});

describe('grpcStatusOfHttp', () => {
  it("follows gRPC's HTTP to gRPC status mapping", () => {
    const table = [400, 401, 403, 404, 429, 502, 503, 504, 302, 500, 409].map((s) => [s, grpcStatusOfHttp(s)]);
    expect(table).toEqual([[400, 13], [401, 16], [403, 7], [404, 12], [429, 14], [502, 14], [503, 14], [504, 14], [302, 2], [500, 2], [409, 2]]);
  });
});
