// The field syntax both directions of Sluice's HTTP/1.1 client check (RFC 9110 §5.1, §5.5).

/** A field name, method or other token. */
export const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** A byte no field value may hold (what node's http writeHead refuses as well). */
export const INVALID_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
