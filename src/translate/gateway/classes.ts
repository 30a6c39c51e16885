// GatewayClass: ours when spec.controllerName is Sluice's. We take no parameters, so a class
// that names a parametersRef is not accepted (InvalidParameters) and its Gateways are not served.
import type { GatewayClass } from '../../api/gateway.js';
import { GATEWAY_CONTROLLER_NAME } from '../../config/config.js';
import type { GatewayClassStatusUpdate } from '../types.js';
import { condition, generationOf, pass, problem, type Verdict } from './conditions.js';
import { SUPPORTED_FEATURES } from './features.js';

export interface ClassVerdicts {
  /** Our classes by name, with whether each is accepted. */
  readonly ours: ReadonlyMap<string, Verdict>;
  readonly statuses: readonly GatewayClassStatusUpdate[];
}

export function judgeGatewayClasses(classes: readonly GatewayClass[]): ClassVerdicts {
  const ours = new Map<string, Verdict>();
  const statuses: GatewayClassStatusUpdate[] = [];
  for (const gc of classes) {
    if (gc.spec?.controllerName !== GATEWAY_CONTROLLER_NAME) continue;
    const verdict = gc.spec.parametersRef
      ? problem('InvalidParameters', `parametersRef ${gc.spec.parametersRef.kind}/${gc.spec.parametersRef.name} is not supported: Sluice takes no GatewayClass parameters`)
      : pass('Accepted', 'GatewayClass is accepted by Sluice');
    ours.set(gc.metadata.name, verdict);
    statuses.push({
      kind: 'GatewayClass',
      name: gc.metadata.name,
      status: {
        conditions: [condition('Accepted', verdict, generationOf(gc))],
        supportedFeatures: SUPPORTED_FEATURES.map((name) => ({ name })),
      },
    });
  }
  return { ours, statuses };
}
