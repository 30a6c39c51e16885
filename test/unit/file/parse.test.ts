import { describe, expect, it } from '@jest/globals';
import { parseManifest } from '../../../src/file/provider.js';

describe('parseManifest', () => {
  it('reads multi-document YAML, defaults the namespace, skips unwatched kinds', () => {
    const { objects, problems, skipped } = parseManifest(
      'm.yaml',
      `apiVersion: v1
kind: Service
metadata: { name: web }
---
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: { name: sluice }
---
apiVersion: v1
kind: Pod
metadata: { name: settings }
`,
    );
    expect(problems).toEqual([]);
    expect(objects.map((o) => [o.kind, o.metadata.namespace, o.metadata.name])).toEqual([
      ['Service', 'default', 'web'],
      ['IngressClass', undefined, 'sluice'],
    ]);
    expect(skipped).toEqual(['v1/Pod default/settings']);
  });

  it('reports a bad document without losing the good ones', () => {
    const { objects, problems } = parseManifest('m.yaml', 'apiVersion: v1\nkind: Service\nmetadata: {}\n---\napiVersion: v1\nkind: Service\nmetadata: { name: ok }\n---\n- a list\n');
    expect(objects.map((o) => o.metadata.name)).toEqual(['ok']);
    expect(problems.map((p) => [p.code, p.message])).toEqual([
      ['SLUICE_MANIFEST_OBJECT_INVALID', 'm.yaml document 0: Service has no metadata.name'],
      ['SLUICE_MANIFEST_OBJECT_INVALID', 'm.yaml document 2: is not an object'],
    ]);
  });

  it('throws on YAML syntax errors (the caller keeps the last good parse)', () => {
    expect(() => parseManifest('m.yaml', 'kind: Service\nmetadata: { name: [unclosed\n')).toThrow();
  });

  it('throws on a syntax error in a later document, after good ones', () => {
    expect(() => parseManifest('m.yaml', 'apiVersion: v1\nkind: Service\nmetadata: { name: ok }\n---\nkind: Service\nmetadata: { name: [unclosed\n')).toThrow();
  });
});
