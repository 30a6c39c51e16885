import { type ArgsOf, describe, type ErrorName } from '../errors.js';
import type { SourceRef } from '../table/types.js';
import { compareStrings } from '../util/compare.js';
import type { Diagnostic } from './types.js';

/** Collects diagnostics during one translation; sorted and deduplicated on the way out. */
export class Diagnostics {
  private readonly items: Diagnostic[] = [];

  error<N extends ErrorName>(source: SourceRef, name: N, ...args: ArgsOf<N>): void {
    this.items.push({ severity: 'error', ...describe(name, ...args), source });
  }

  warning<N extends ErrorName>(source: SourceRef, name: N, ...args: ArgsOf<N>): void {
    this.items.push({ severity: 'warning', ...describe(name, ...args), source });
  }

  push(d: Diagnostic): void {
    this.items.push(d);
  }

  list(): Diagnostic[] {
    const seen = new Set<string>();
    const out: Diagnostic[] = [];
    for (const d of this.items) {
      const key = `${refKey(d.source)}|${d.code}|${d.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(d);
    }
    return out.sort((a, b) => compareStrings(refKey(a.source), refKey(b.source)) || compareStrings(a.code, b.code) || compareStrings(a.message, b.message));
  }
}

export function refKey(r: SourceRef): string {
  return `${r.kind}/${r.namespace ?? ''}/${r.name}`;
}

export function sourceOf(obj: { kind: string; metadata: { namespace?: string; name: string } }): SourceRef {
  return obj.metadata.namespace !== undefined
    ? { kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name }
    : { kind: obj.kind, name: obj.metadata.name };
}
