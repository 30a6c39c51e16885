// Reading one block of a policy (or an HTTPRoute rule field) value by value. Objects reach the
// translator as plain JSON that no schema may have checked (file mode), so every reader checks
// the type and range itself and reports what is wrong, with the field's path, instead of
// throwing; it returns undefined for a value it could not use, and the caller's result is then
// discarded (a policy with any problem has no effect).
import { API_DURATION_SYNTAX, parseApiDuration } from '../../config/api-duration.js';
import { MAX_TIMEOUT_MS } from '../../table/canonical.js';

export type Json = Readonly<Record<string, unknown>>;

export class Fields {
  /** Where this block sits, e.g. "spec.loadBalancer"; messages start with the field's full path. */
  readonly path: string;
  private readonly report: (message: string) => void;

  constructor(path: string, report: (message: string) => void) {
    this.path = path;
    this.report = report;
  }

  /** The reader of a nested block ("spec.loadBalancer" → "spec.loadBalancer.consistentHash"). */
  at(name: string): Fields {
    return new Fields(this.join(name), this.report);
  }

  problem(name: string, message: string): void {
    this.report(`${this.join(name)}: ${message}`);
  }

  /** Reports a problem on the block itself (a combination of its fields). */
  invalid(message: string): void {
    this.report(`${this.path}: ${message}`);
  }

  /** A nested object; undefined when absent or not an object (reported). */
  object(value: unknown, name: string): Json | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'object' || Array.isArray(value)) return void this.problem(name, 'must be an object');
    return value as Json;
  }

  /** A list of at most `maxItems`; undefined when absent or not a list (reported). */
  list(value: unknown, name: string, maxItems: number): readonly unknown[] | undefined {
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value)) return void this.problem(name, 'must be a list');
    if (value.length > maxItems) return void this.problem(name, `has ${value.length} items, at most ${maxItems} are allowed`);
    return value;
  }

  /** An integer in [min, max]. */
  integer(value: unknown, name: string, min: number, max: number): number | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value)) return void this.problem(name, `${JSON.stringify(value)} is not an integer`);
    if (value < min || value > max) return void this.problem(name, `${value} is out of range (${min} to ${max})`);
    return value;
  }

  /** One of `allowed` (case-sensitive, as the CRD enums are). */
  oneOf<T extends string>(value: unknown, name: string, allowed: readonly T[]): T | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
      return void this.problem(name, `${JSON.stringify(value)} is not one of ${allowed.join(', ')}`);
    }
    return value as T;
  }

  /** A string that `check` accepts (it returns why not, or undefined). */
  string(value: unknown, name: string, check: (s: string) => string | undefined): string | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') return void this.problem(name, `${JSON.stringify(value)} is not a string`);
    const why = check(value);
    if (why !== undefined) return void this.problem(name, `${JSON.stringify(value)} ${why}`);
    return value;
  }

  /**
   * A Gateway API duration in ms, at least `minMs` (1 unless said: most durations here cannot be
   * zero). Values above what a timer can wait stand for the longest one it can (MAX_TIMEOUT_MS),
   * as route timeouts do.
   */
  duration(value: unknown, name: string, minMs = 1): number | undefined {
    if (value === undefined || value === null) return undefined;
    const ms = typeof value === 'string' ? parseApiDuration(value) : undefined;
    if (ms === undefined) return void this.problem(name, `${JSON.stringify(value)} is not a Gateway API duration (${API_DURATION_SYNTAX})`);
    if (ms < minMs) return void this.problem(name, minMs === 1 ? 'must be longer than 0s' : `must be at least ${minMs}ms`);
    return Math.min(ms, MAX_TIMEOUT_MS);
  }

  private join(name: string): string {
    return name.startsWith('[') ? `${this.path}${name}` : `${this.path}.${name}`;
  }
}
