// Installing and removing one of Sluice's own CRDs (crds/sluice/) in the test apiserver, for the
// suites that start Sluice before its CRD exists.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { Cluster } from '../../cluster/harness.js';
import { eventually } from '../../support/wait.js';
import { api } from './kube.js';

const CRDS_PATH = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';

export interface SluiceCrd {
  /** File in crds/sluice/. */
  readonly file: string;
  /** "routepolicies.sluice.dev". */
  readonly name: string;
}

/** Deletes the CRD (and with it every object of its kind) and waits until it is gone. */
export async function deleteSluiceCrd(c: Cluster, crd: SluiceCrd): Promise<void> {
  const res = await api(c, 'DELETE', `${CRDS_PATH}/${crd.name}`);
  if (res.status !== 200 && res.status !== 202 && res.status !== 404) throw new Error(`deleting CRD ${crd.name}: ${res.status}`);
  await eventually(`CRD ${crd.name} to be gone`, async () => (await api(c, 'GET', `${CRDS_PATH}/${crd.name}`)).status === 404, 60_000, 250);
}

/** Creates the CRD from its file and waits until it is Established and `listPath` lists. */
export async function installSluiceCrd(c: Cluster, crd: SluiceCrd, listPath: string): Promise<void> {
  const manifest: unknown = parse(readFileSync(join(process.cwd(), 'crds', 'sluice', crd.file), 'utf8'));
  const res = await api(c, 'POST', CRDS_PATH, manifest);
  if (res.status !== 201) throw new Error(`creating CRD ${crd.name}: ${res.status} ${JSON.stringify(res.body)}`);
  await eventually(`CRD ${crd.name} to be Established`, async () => {
    const got = await api(c, 'GET', `${CRDS_PATH}/${crd.name}`);
    return (got.body?.status?.conditions ?? []).some((x: { type: string; status: string }) => x.type === 'Established' && x.status === 'True');
  }, 30_000);
  await eventually(`${listPath} to be listable`, async () => (await api(c, 'GET', listPath)).status === 200, 30_000);
}
