const UNITS: Readonly<Record<string, number>> = { '': 1, B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, KB: 1000, MB: 1000 ** 2, GB: 1000 ** 3 };

/** Parses "1048576", "512KiB", "16MiB", "1GB" into bytes; undefined when malformed. */
export function parseBytes(text: string): number | undefined {
  const m = /^(\d+)\s*([KMG]i?B|B)?$/.exec(text);
  if (!m) return undefined;
  const unit = UNITS[m[2] ?? ''];
  if (unit === undefined) return undefined;
  const n = Number(m[1]) * unit;
  return Number.isSafeInteger(n) ? n : undefined;
}
