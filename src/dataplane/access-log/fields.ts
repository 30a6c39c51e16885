// The fields an access-log line can carry, in the order they are written. `--access-log-fields`
// picks a subset (comma-separated names); the default is every field but `query` (query
// strings often carry tokens, so they are logged only when asked for).

export const ACCESS_LOG_FIELDS = [
  'time',
  'client',
  'method',
  'host',
  'path',
  'query',
  'protocol',
  'status',
  'bytes_in',
  'bytes_out',
  'duration_ms',
  'upstream',
  'upstream_ms',
  'route',
  'cluster',
  'request_id',
  'user_agent',
  'retries',
  'reason',
] as const;

export type AccessLogField = (typeof ACCESS_LOG_FIELDS)[number];

export const DEFAULT_ACCESS_LOG_FIELDS: readonly AccessLogField[] = ACCESS_LOG_FIELDS.filter((f) => f !== 'query');

const KNOWN = new Set<string>(ACCESS_LOG_FIELDS);

/** "time,status,route" → the fields in canonical order, or the names that are not fields. */
export function parseAccessLogFields(text: string): { fields: AccessLogField[] } | { unknown: string[] } {
  const names = text.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = names.filter((n) => !KNOWN.has(n));
  if (unknown.length > 0 || names.length === 0) return { unknown: unknown.length > 0 ? unknown : ['(none)'] };
  const wanted = new Set(names);
  return { fields: ACCESS_LOG_FIELDS.filter((f) => wanted.has(f)) };
}
