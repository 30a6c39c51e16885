// The verified client certificate of a TLS connection, as the X-Forwarded-Client-Cert value
// the backend gets (Envoy's XFCC format), computed once per connection:
//
//   By=<URI SAN of Sluice's certificate>;Hash=<hex SHA-256 of the client certificate (DER)>;
//   Subject="<RFC 2253 subject>";URI=<each URI SAN>;DNS=<each DNS SAN>
//
// By only when Sluice's own certificate has a URI SAN; values holding , ; = or " are quoted
// (Subject always), a " inside escaped as \" (the subject keeps its own RFC 2253 escapes). Only a certificate that verified against the
// listener's CA (socket.authorized) counts; without one there is no value, and a client's own
// X-Forwarded-Client-Cert header is always dropped (headers.ts).
import { createHash, X509Certificate } from 'node:crypto';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { certificateSans } from '../upstream/tls.js';

const cache = new WeakMap<object, string | null>();

function quoted(value: string): string {
  return `"${value.replaceAll('"', '\\"')}"`;
}

function field(name: string, value: string): string {
  return `${name}=${/[,;="]/.test(value) ? quoted(value) : value}`;
}

/** Node prints a subject one RDN per line, most significant first; RFC 2253 lists them the other way, comma-separated (values already escaped). */
export function rfc2253(subject: string): string {
  return subject.split('\n').filter((l) => l !== '').reverse().join(',');
}

/** The XFCC value of a verified peer certificate (DER), with the server certificate's URI SANs as By. */
export function xfccValue(peerDer: Buffer, serverUris: readonly string[]): string {
  const cert = new X509Certificate(peerDer);
  const sans = certificateSans({ subjectaltname: cert.subjectAltName ?? '' });
  const parts = [
    ...serverUris.map((u) => field('By', u)),
    `Hash=${createHash('sha256').update(peerDer).digest('hex')}`,
    `Subject=${quoted(rfc2253(cert.subject))}`,
    ...sans.uri.map((u) => field('URI', u)),
    ...sans.dns.map((d) => field('DNS', d)),
  ];
  return parts.join(';');
}

/** The connection's XFCC value, or undefined without a verified client certificate (cached per connection). */
export function forwardedClientCert(socket: Socket): string | undefined {
  const tls = socket as Partial<TLSSocket>;
  if (tls.encrypted !== true || tls.authorized !== true) return undefined;
  let value = cache.get(socket);
  if (value === undefined) {
    const peer = tls.getPeerCertificate!();
    const own = tls.getCertificate!();
    const serverUris = own && 'subjectaltname' in own ? certificateSans(own as { subjectaltname?: string }).uri : [];
    value = peer?.raw ? xfccValue(peer.raw, serverUris) : null;
    cache.set(socket, value);
  }
  return value ?? undefined;
}

/**
 * For a connection served although its certificate did not verify (AllowInsecureFallback), right
 * after the handshake. A certificate naming a trusted CA as issuer but signed by another key
 * fails OpenSSL's signature check, and Node (24.21, OpenSSL 3.5) leaves that crypto error on the
 * thread's OpenSSL error queue: the socket's next read reports it (ERR_SSL_INVALID_PADDING for
 * RSA) and the connection is reset before its request is read. Reading the peer certificate
 * clears that queue (Node's GetPeerCert clears it on return), so the connection goes on.
 */
export function clearFailedVerification(socket: TLSSocket): void {
  socket.getPeerCertificate(false);
}
