// Encodes one access-log line straight into bytes: JSON strings, integers and millisecond
// durations are written into a reused buffer, so a line costs no intermediate strings (no
// concatenation rope, no flattening, no UTF-8 pass over a finished string). Values that are
// plain printable ASCII (nearly all of them) are copied character by character; anything else
// goes through JSON.stringify and is written as UTF-8.

/** Bytes a line may need beyond its string values (names, numbers, punctuation). */
const SLACK = 256;

export class LineEncoder {
  /** The line so far: bytes [0, length). Grows to the longest line seen (bounded by the request-head limit). */
  buf: Buffer;
  length = 0;

  constructor(initialBytes = 4096) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  reset(): void {
    this.length = 0;
  }

  /** The line as text (tests, diagnostics). */
  text(): string {
    return this.buf.toString('utf8', 0, this.length);
  }

  /** A JSON string, or null. */
  str(v: string | undefined): void {
    if (v === undefined) return this.ascii('null');
    const n = v.length;
    this.room(n + 2);
    const out = this.buf;
    let p = this.length;
    out[p++] = 0x22;
    for (let i = 0; i < n; i++) {
      const c = v.charCodeAt(i);
      // Control characters, '"', '\\' and everything beyond ASCII take the general path.
      if (c < 0x20 || c === 0x22 || c === 0x5c || c > 0x7e) return this.escaped(v);
      out[p++] = c;
    }
    out[p++] = 0x22;
    this.length = p;
  }

  /** A non-negative integer (counts, status codes, byte sizes); anything else as JSON writes it. */
  int(v: number): void {
    if (!(v >= 0 && v <= 0x1fffffffffffff) || v !== Math.floor(v)) return this.ascii(JSON.stringify(v) ?? 'null');
    this.room(16);
    const out = this.buf;
    const start = this.length;
    let p = start;
    do {
      const d = v % 10;
      out[p++] = 0x30 + d;
      v = (v - d) / 10;
    } while (v > 0);
    // Digits came least significant first.
    for (let i = start, j = p - 1; i < j; i++, j--) {
      const t = out[i]!;
      out[i] = out[j]!;
      out[j] = t;
    }
    this.length = p;
  }

  /** Milliseconds with at most three decimals, trailing zeros dropped (as a JSON number prints). */
  ms(v: number): void {
    const us = Math.round(v * 1000);
    if (!(us >= 0)) return this.ascii(JSON.stringify(us / 1000));
    const frac = us % 1000;
    this.int((us - frac) / 1000);
    if (frac === 0) return;
    this.room(4);
    const out = this.buf;
    let p = this.length;
    out[p++] = 0x2e;
    const d0 = Math.floor(frac / 100);
    const d1 = Math.floor(frac / 10) % 10;
    const d2 = frac % 10;
    out[p++] = 0x30 + d0;
    if (d1 !== 0 || d2 !== 0) out[p++] = 0x30 + d1;
    if (d2 !== 0) out[p++] = 0x30 + d2;
    this.length = p;
  }

  /** Text known to be ASCII and valid JSON as it stands (field names, numbers, literals, ISO times in quotes). */
  ascii(s: string): void {
    const n = s.length;
    this.room(n);
    const out = this.buf;
    let p = this.length;
    for (let i = 0; i < n; i++) out[p++] = s.charCodeAt(i);
    this.length = p;
  }

  private escaped(v: string): void {
    // JSON.stringify escapes what JSON must and writes lone surrogates as \u escapes.
    const json = JSON.stringify(v);
    this.room(json.length * 3);
    this.length += this.buf.write(json, this.length, 'utf8');
  }

  /** Makes room for n more bytes, keeping the line so far. */
  private room(n: number): void {
    const need = this.length + n;
    if (need <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(need + SLACK, this.buf.length * 2));
    this.buf.copy(grown, 0, 0, this.length);
    this.buf = grown;
  }
}
