// Where a V8 heap snapshot's bytes are: self size summed by node type, and for objects, closures
// and arrays by constructor name — the "by constructor" view of DevTools' summary, without the
// retained sizes (those need the dominator tree, more than this report needs).
import { readFileSync } from 'node:fs';

export interface HeapGroup {
  readonly name: string;
  readonly count: number;
  readonly selfMiB: number;
}

export interface HeapSummary {
  readonly totalMiB: number;
  readonly nodes: number;
  readonly byType: readonly HeapGroup[];
  readonly byConstructor: readonly HeapGroup[];
}

interface Snapshot {
  readonly snapshot: { readonly meta: { readonly node_fields: string[]; readonly node_types: [string[], ...unknown[]] } };
  readonly nodes: number[];
  readonly strings: string[];
}

function top(m: Map<string, { count: number; bytes: number }>, n: number): HeapGroup[] {
  return [...m]
    .sort((a, b) => b[1].bytes - a[1].bytes)
    .slice(0, n)
    .map(([name, v]) => ({ name, count: v.count, selfMiB: Math.round((v.bytes / 2 ** 20) * 100) / 100 }));
}

export function summarizeHeapSnapshot(path: string, topN = 15): HeapSummary {
  const s = JSON.parse(readFileSync(path, 'utf8')) as Snapshot;
  const fields = s.snapshot.meta.node_fields;
  const types = s.snapshot.meta.node_types[0];
  const width = fields.length;
  const fType = fields.indexOf('type');
  const fName = fields.indexOf('name');
  const fSize = fields.indexOf('self_size');
  const byType = new Map<string, { count: number; bytes: number }>();
  const byCtor = new Map<string, { count: number; bytes: number }>();
  let total = 0;
  const add = (m: typeof byType, k: string, bytes: number) => {
    const e = m.get(k);
    if (e) {
      e.count++;
      e.bytes += bytes;
    } else m.set(k, { count: 1, bytes });
  };
  for (let i = 0; i < s.nodes.length; i += width) {
    const type = types[s.nodes[i + fType]!] ?? 'unknown';
    const size = s.nodes[i + fSize]!;
    total += size;
    add(byType, type, size);
    if (type === 'object' || type === 'closure' || type === 'array' || type === 'native') add(byCtor, `${type === 'object' ? '' : `(${type}) `}${s.strings[s.nodes[i + fName]!] ?? '?'}`, size);
  }
  return { totalMiB: Math.round((total / 2 ** 20) * 100) / 100, nodes: s.nodes.length / width, byType: top(byType, 20), byConstructor: top(byCtor, topN) };
}
