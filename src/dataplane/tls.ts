// TLS termination for HTTPS listeners: certificates chosen by SNI from the CURRENT table, so a
// new table (e.g. a renewed Secret) takes effect on the next handshake without reopening the
// socket. Choice: exact hostname, then the longest wildcard suffix ("*.example.com" covers one
// or more labels, as Gateway API listeners do), then the listener's default certificate (one
// without hostnames, else the first). Secure contexts are built once per key pair and reused
// across table swaps; nothing is parsed per handshake.
import { createHash } from 'node:crypto';
import { createSecureContext, type SecureContext, type Server as TlsServer } from 'node:tls';
import type { Listener, TlsCertificate } from '../table/types.js';

interface ListenerContexts {
  readonly exact: ReadonlyMap<string, SecureContext>;
  /** ".example.com" → context. */
  readonly wildcard: ReadonlyMap<string, SecureContext>;
  readonly fallback: SecureContext | undefined;
  readonly fallbackId: string | undefined;
}

function pairId(c: TlsCertificate): string {
  return createHash('sha256').update(c.certPem).update('\0').update(c.keyPem).digest('hex');
}

export class SniCertificates {
  private readonly listener: () => Listener | undefined;
  private readonly onError: (err: unknown, secret: string) => void;
  private compiledFor: Listener | undefined;
  private compiled: ListenerContexts = { exact: new Map(), wildcard: new Map(), fallback: undefined, fallbackId: undefined };
  /** Secure contexts by key-pair hash; pruned to the current table's pairs on each compile. */
  private contexts = new Map<string, SecureContext>();
  private appliedDefault: string | undefined;

  /**
   * `listener` returns this socket's listener in the currently installed table (undefined when
   * the table has none); `onError` reports a key pair Node cannot load.
   */
  constructor(listener: () => Listener | undefined, onError: (err: unknown, secret: string) => void) {
    this.listener = listener;
    this.onError = onError;
  }

  /** For the server's SNICallback option. */
  readonly sniCallback = (servername: string, cb: (err: Error | null, ctx?: SecureContext) => void): void => {
    cb(null, this.pick(servername.toLowerCase()));
  };

  /** The context for a server name (undefined: Node's default context, i.e. the default certificate). */
  pick(servername: string): SecureContext | undefined {
    const c = this.current();
    const exact = c.exact.get(servername);
    if (exact) return exact;
    for (let dot = servername.indexOf('.'); dot !== -1 && dot < servername.length - 1; dot = servername.indexOf('.', dot + 1)) {
      const hit = c.wildcard.get(servername.slice(dot));
      if (hit) return hit;
    }
    return c.fallback;
  }

  /**
   * Makes the listener's default certificate the server's default context (for clients that
   * send no SNI). Call after every table install; a no-op when the default did not change.
   */
  refreshDefault(server: TlsServer): void {
    const c = this.current();
    if (!c.fallbackId || c.fallbackId === this.appliedDefault) return;
    const cert = this.listener()?.tls?.certificates.find((x) => pairId(x) === c.fallbackId);
    if (!cert) return;
    try {
      server.setSecureContext({ cert: cert.certPem, key: cert.keyPem });
      this.appliedDefault = c.fallbackId;
    } catch (err) {
      this.onError(err, `${cert.secret.namespace ?? ''}/${cert.secret.name}`);
    }
  }

  private current(): ListenerContexts {
    const l = this.listener();
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
    let fallback: SecureContext | undefined;
    let fallbackId: string | undefined;
    let first: { ctx: SecureContext; id: string } | undefined;
    for (const cert of l?.tls?.certificates ?? []) {
      const id = pairId(cert);
      let ctx = contexts.get(id) ?? this.contexts.get(id);
      if (!ctx) {
        try {
          ctx = createSecureContext({ cert: cert.certPem, key: cert.keyPem });
        } catch (err) {
          this.onError(err, `${cert.secret.namespace ?? ''}/${cert.secret.name}`);
          continue;
        }
      }
      contexts.set(id, ctx);
      first ??= { ctx, id };
      if (cert.hostnames.length === 0 && !fallback) {
        fallback = ctx;
        fallbackId = id;
      }
      for (const h of cert.hostnames) {
        const name = h.toLowerCase();
        if (name.startsWith('*.')) {
          if (!wildcard.has(name.slice(1))) wildcard.set(name.slice(1), ctx);
        } else if (!exact.has(name)) exact.set(name, ctx);
      }
    }
    this.contexts = contexts;
    return { exact, wildcard, fallback: fallback ?? first?.ctx, fallbackId: fallbackId ?? first?.id };
  }
}
