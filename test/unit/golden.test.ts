// Golden tests of the pure translator: every src/translate/testdata/<case>.in.yaml (objects as a
// cluster would hold them) translates to exactly <case>.out.yaml. UPDATE_GOLDEN=1 rewrites the
// outputs; review the diff before committing it.
//
// An input may start with a document `kind: TranslateOptions` (not a Kubernetes object) to set
// the options; the default is { ingressClass: sluice }.
import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { translate } from '../../src/translate/translate.js';
import type { TranslateOptions } from '../../src/translate/types.js';
import { validateTable } from '../../src/table/validate.js';
import { snapshotFromYaml } from './support/objects.js';

const dir = join(process.cwd(), 'src', 'translate', 'testdata');
const cases = readdirSync(dir).filter((f) => f.endsWith('.in.yaml')).sort();

function splitOptions(text: string): { options: TranslateOptions; objects: string } {
  const docs = parseAllDocuments(text) as unknown as { toJS(): unknown; toString(): string }[];
  let options: TranslateOptions = { ingressClass: 'sluice' };
  const rest: string[] = [];
  for (const d of docs) {
    const v = d.toJS() as { kind?: string; spec?: Partial<TranslateOptions> } | null;
    if (v?.kind === 'TranslateOptions') options = { ...options, ...v.spec };
    else rest.push(d.toString());
  }
  return { options, objects: rest.join('\n---\n') };
}

function render(value: unknown): string {
  return stringify(value, { sortMapEntries: true, lineWidth: 0, aliasDuplicateObjects: false });
}

describe('translate golden files', () => {
  it('has cases', () => {
    expect(cases.length).toBeGreaterThan(0);
  });

  for (const file of cases) {
    it(file.replace('.in.yaml', ''), () => {
      const { options, objects } = splitOptions(readFileSync(join(dir, file), 'utf8'));
      const result = translate(snapshotFromYaml(objects), options);
      expect(validateTable(result.table)).toEqual([]);
      const actual = render(result);
      const outPath = join(dir, file.replace('.in.yaml', '.out.yaml'));
      if (process.env.UPDATE_GOLDEN === '1' || !existsSync(outPath)) {
        writeFileSync(outPath, actual);
        if (process.env.UPDATE_GOLDEN !== '1') throw new Error(`wrote missing golden ${outPath}; review it and run again`);
      }
      expect(actual).toBe(readFileSync(outPath, 'utf8'));
      // Determinism: translating the same snapshot again gives byte-equal output.
      expect(render(translate(snapshotFromYaml(objects), options))).toBe(actual);
    });
  }
});
