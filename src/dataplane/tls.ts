// TLS termination for HTTPS listeners: certificates chosen by SNI from the CURRENT table, so a
// new table (e.g. a renewed Secret) takes effect on the next handshake without reopening the
// socket. Choice: exact hostname, then the longest wildcard suffix ("*.example.com" covers one
// or more labels, as Gateway API listeners do), then a certificate without hostnames (a Gateway
// listener without hostname: its owner serves every name). A name none of these claims, and a
// client without SNI, gets the default certificate: the --default-certificate Secret, else
// Sluice's generated CN=sluice-default — never another tenant's. With --reject-unknown-sni that
// handshake is refused instead (a context without certificate: the client gets a
// handshake_failure alert). Secure contexts are built once per key pair and reused across table
// swaps; nothing is parsed per handshake.
//
// Client certificates (listener tls.clientValidation, from Gateway spec.tls.frontend per port):
// every context of the socket — each SNI's, the unknown-name one, the no-SNI default — carries
// the listener's CA (Node verifies with the chosen context's store), and the server asks every
// handshake for a certificate (server.requestCert, read per connection). Node completes the
// handshake whatever the verdict (rejectUnauthorized off, so AllowInsecureFallback can serve);
// enforce() then closes a connection without a verified certificate under AllowValidOnly before
// a byte of HTTP is read. One validation per socket: no SNI can reach a host without it.
import { createHash } from 'node:crypto';
import { createSecureContext, type SecureContext, type Server as TlsServer } from 'node:tls';
import type { TLSSocket } from 'node:tls';
import type { ClientValidation, Listener } from '../table/types.js';
import { clearFailedVerification } from './edge/client-certificate.js';
import { generatedDefaultCertificate, type KeyPair } from './tls/default-certificate.js';

/** What a handshake gets when no certificate claims its name (and for clients without SNI). */
interface UnknownNameChoice {
  readonly ctx: SecureContext;
  /** Key-pair hash, or REFUSE; refreshDefault pushes a choice only when this changes. */
  readonly id: string;
  /** Options for the server's default context: the pair, or none (refuse). */
  readonly pair: KeyPair | undefined;
}

interface ListenerContexts {
  readonly exact: ReadonlyMap<string, SecureContext>;
  /** ".example.com" → context. */
  readonly wildcard: ReadonlyMap<string, SecureContext>;
  readonly unknown: UnknownNameChoice;
  readonly validation: ClientValidation | undefined;
}

const REFUSE = 'refuse';

function pairId(c: KeyPair, ca: string | undefined): string {
  return createHash('sha256').update(c.certPem).update('\0').update(c.keyPem).update('\0').update(ca ?? '').digest('hex');
}

export interface SniOptions {
  /** This socket's listener in the currently installed table (undefined when the table has none). */
  readonly listener: () => Listener | undefined;
  /** Refuse handshakes whose SNI, or lack of one, no certificate of the listener claims (--reject-unknown-sni). */
  readonly rejectUnknownSni: boolean;
  /** Reports a key pair Node cannot load ("namespace/name" of its Secret). */
  readonly onError: (err: unknown, secret: string) => void;
  /** The last-resort certificate; default: this process's generated CN=sluice-default. */
  readonly generatedDefault?: () => KeyPair;
}

export class SniCertificates {
  private readonly options: SniOptions;
  private readonly refusal = createSecureContext({});
  private compiledFor: Listener | undefined | null = null;
  private compiled!: ListenerContexts;
  /** Secure contexts by key-pair hash; pruned to the current table's pairs on each compile. */
  private contexts = new Map<string, SecureContext>();
  private appliedDefault: string | undefined;

  constructor(options: SniOptions) {
    this.options = options;
  }

  /** For the server's SNICallback option. */
  readonly sniCallback = (servername: string, cb: (err: Error | null, ctx?: SecureContext) => void): void => {
    cb(null, this.pick(servername.toLowerCase()));
  };

  /** The context for a server name (lower case); a certificate-less one when the name is refused. */
  pick(servername: string): SecureContext {
    const c = this.current();
    const exact = c.exact.get(servername);
    if (exact) return exact;
    for (let dot = servername.indexOf('.'); dot !== -1 && dot < servername.length - 1; dot = servername.indexOf('.', dot + 1)) {
      const hit = c.wildcard.get(servername.slice(dot));
      if (hit) return hit;
    }
    return c.unknown.ctx;
  }

  /**
   * Makes the unknown-name choice the server's default context too (Node uses that one for
   * clients that send no SNI). Call after every table install; a no-op when it did not change.
   */
  refreshDefault(server: TlsServer): void {
    const { unknown, validation } = this.current();
    // Read by Node for every new connection; verification is enforce()'s (per mode).
    const asked = server as TlsServer & { requestCert: boolean; rejectUnauthorized: boolean };
    asked.requestCert = validation !== undefined;
    asked.rejectUnauthorized = false;
    if (unknown.id === this.appliedDefault) return;
    // setSecureContext replaces key and cert: without a pair, the default context has none.
    const ca = validation ? { ca: validation.caPem } : {};
    server.setSecureContext(unknown.pair ? { cert: unknown.pair.certPem, key: unknown.pair.keyPem, ...ca } : ca);
    this.appliedDefault = unknown.id;
  }

  /**
   * After a handshake, before HTTP: closes the connection when the listener requires a valid
   * client certificate (AllowValidOnly) and it brought none that verified. True when it may go on.
   */
  enforce(socket: TLSSocket): boolean {
    const { validation } = this.current();
    if (!validation || socket.authorized) return true;
    if (validation.mode === 'AllowInsecureFallback') {
      clearFailedVerification(socket);
      return true;
    }
    socket.destroy();
    return false;
  }

  private current(): ListenerContexts {
    const l = this.options.listener();
    if (l !== this.compiledFor) {
      this.compiled = this.compile(l);
      this.compiledFor = l;
    }
    return this.compiled;
  }

  private compile(l: Listener | undefined): ListenerContexts {
    const exact = new Map<string, SecureContext>();
    const wildcard = new Map<string, SecureContext>();
    const contexts = new Map<string, SecureContext>();
    const validation = l?.tls?.clientValidation;
    const load = (pair: KeyPair, secret: string): { ctx: SecureContext; id: string } | undefined => {
      const id = pairId(pair, validation?.caPem);
      let ctx = contexts.get(id) ?? this.contexts.get(id);
      if (!ctx) {
        try {
          ctx = createSecureContext({ cert: pair.certPem, key: pair.keyPem, ...(validation ? { ca: validation.caPem } : {}) });
        } catch (err) {
          this.options.onError(err, secret);
          return undefined;
        }
      }
      contexts.set(id, ctx);
      return { ctx, id };
    };
    let anyName: UnknownNameChoice | undefined;
    for (const cert of l?.tls?.certificates ?? []) {
      const loaded = load(cert, `${cert.secret.namespace ?? ''}/${cert.secret.name}`);
      if (!loaded) continue;
      if (cert.hostnames.length === 0) anyName ??= { ...loaded, pair: cert };
      for (const h of cert.hostnames) {
        const name = h.toLowerCase();
        if (name.startsWith('*.')) {
          if (!wildcard.has(name.slice(1))) wildcard.set(name.slice(1), loaded.ctx);
        } else if (!exact.has(name)) exact.set(name, loaded.ctx);
      }
    }
    const unknown = anyName ?? this.unknownNameChoice(l, load);
    this.contexts = contexts;
    return { exact, wildcard, unknown, validation };
  }

  /** Refusal, or the configured default certificate, or the generated one. */
  private unknownNameChoice(l: Listener | undefined, load: (pair: KeyPair, secret: string) => { ctx: SecureContext; id: string } | undefined): UnknownNameChoice {
    if (this.options.rejectUnknownSni) return { ctx: this.refusal, id: REFUSE, pair: undefined };
    const configured = l?.tls?.defaultCertificate;
    const loaded = configured && load(configured, `${configured.secret.namespace ?? ''}/${configured.secret.name}`);
    if (configured && loaded) return { ...loaded, pair: configured };
    const generated = (this.options.generatedDefault ?? generatedDefaultCertificate)();
    return { ...load(generated, 'generated sluice-default')!, pair: generated };
  }
}
