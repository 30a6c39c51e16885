// Durations in flags and environment variables (`--drain-timeout 1.5s`). Friendlier than the
// Gateway API's grammar (api-duration.ts, used for HTTPRoute timeouts): fractions and any number
// of parts are accepted, because a flag is read once at start-up by a person who sees the error.
const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses "250ms", "5s", "1.5s", "1m30s", "2h" into milliseconds; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * (UNITS[m[2]!] ?? 0);
    consumed = re.lastIndex;
  }
  if (consumed === 0 || consumed !== text.length) return undefined;
  return Math.round(total);
}
