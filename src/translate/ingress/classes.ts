// Which Ingresses are ours: spec.ingressClassName naming our class, the legacy
// kubernetes.io/ingress.class annotation, or no class at all while our IngressClass is the
// cluster default.
import { DEFAULT_CLASS_ANNOTATION, type Ingress, type IngressClass } from '../../api/core.js';
import { INGRESS_CONTROLLER_NAME } from '../../config/config.js';
import type { Diagnostics } from '../diagnostics.js';
import { sourceOf } from '../diagnostics.js';

const LEGACY_CLASS_ANNOTATION = 'kubernetes.io/ingress.class';

export class IngressClassSelector {
  private readonly ours: IngressClass | undefined;
  private readonly className: string;

  constructor(classes: readonly IngressClass[], className: string) {
    this.className = className;
    this.ours = classes.find((c) => c.metadata.name === className && c.spec?.controller === INGRESS_CONTROLLER_NAME);
  }

  /** The IngressClass this instance serves, if it exists. */
  get served(): IngressClass | undefined {
    return this.ours;
  }

  /** True when this Ingress belongs to our class. Reports a named-but-missing class of ours. */
  owns(ing: Ingress, diagnostics: Diagnostics): boolean {
    const named = ing.spec?.ingressClassName ?? ing.metadata.annotations?.[LEGACY_CLASS_ANNOTATION];
    if (named !== undefined) {
      if (named !== this.className) return false;
      if (!this.ours) diagnostics.error(sourceOf(ing), 'IngressClassNotFound', named);
      return this.ours !== undefined;
    }
    return this.ours?.metadata.annotations?.[DEFAULT_CLASS_ANNOTATION] === 'true';
  }
}
