// The README's conformance line is generated from the committed report (test/conformance/
// summary.ts --readme), so the numbers a user reads are the ones the last run produced.
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { BEGIN, defaultReportPath, END, readmeLine, readReport, withLine } from '../conformance/summary.js';

const repo = process.cwd();

describe('README conformance line', () => {
  it('is the one generated from the committed report', () => {
    const report = defaultReportPath(repo);
    const readme = readFileSync(join(repo, 'README.md'), 'utf8');
    expect(readme).toBe(withLine(readme, readmeLine(readReport(report), relative(repo, report))));
  });

  it('counts what the report says', () => {
    const line = readmeLine(
      {
        gatewayAPIVersion: 'v1.6.1',
        gatewayAPIChannel: 'standard',
        date: 'd',
        profiles: [{ name: 'GATEWAY-HTTP', core: { statistics: { Passed: 36, Failed: 1 } }, extended: { statistics: { Passed: 5, Failed: 2 }, supportedFeatures: ['A', 'B'], unsupportedFeatures: ['C'] } }],
      },
      'r.yaml',
    );
    expect(line).toBe('Gateway API conformance: v1.6.1 (standard channel), GATEWAY-HTTP core 36/37, extended 2/3 features declared, their tests 5/7 passed (report: [r.yaml](r.yaml))');
    expect(withLine(`a\n${BEGIN}\nold\n${END}\nb`, 'new')).toBe(`a\n${BEGIN}\nnew\n${END}\nb`);
  });
});
